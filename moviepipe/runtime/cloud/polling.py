"""Waiting on things other services do (a Lambda, a Glue run, Snowpipe, a task graph).

One helper, built on tenacity: call ``check`` until it returns something other than
``None``, backing off exponentially between calls, and give up after ``timeout``
seconds with a ``StageError`` that names what was awaited. ``sleep`` is injectable
so tests can let simulated services work while the runtime "sleeps".
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_exponential

from moviepipe.errors import StageError

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], *, stage: str, what: str, timeout: float,
             initial: float = 2.0, maximum: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> T:
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_exponential(multiplier=initial, min=initial, max=maximum),
        retry=retry_if_result(lambda value: value is None),
        sleep=sleep,
    )
    try:
        return retrying(check)
    except RetryError:
        raise StageError(stage, f"timed out after {timeout:g} s waiting for {what}") from None
