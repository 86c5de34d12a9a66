"""One run per source at a time: a Prefect global concurrency limit per source.

Two overlapping runs of one source would plan the same watermark range twice and
race to advance it. Each run holds the slot of a limit named after its source
(limit 1, created on first use), so a second run waits up to
``MOVIEPIPE_SOURCE_LOCK_WAIT`` seconds and is then refused with a message naming
the source; runs of different sources hold different limits and never wait on each
other. Works against any Prefect API (a server, or the temporary one ``python
flow.py`` starts), because global concurrency limits live in the API.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from typing import Iterator

from moviepipe.errors import MoviepipeError


class SourceBusy(MoviepipeError):
    """Another run of the same source holds its slot."""

    stage = "lock"


def lock_name(source_key: str) -> str:
    """Readable and unique per source: the tail of the (password-free) key plus its hash."""
    slug = re.sub(r"[^a-z0-9]+", "-", source_key.lower()).strip("-")[-40:].strip("-") or "source"
    return f"moviepipe-source-{slug}-{hashlib.sha256(source_key.encode()).hexdigest()[:10]}"


def ensure_limit(name: str) -> None:
    """Create the limit (1 slot) unless it exists; concurrent creators are fine."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
            except ObjectAlreadyExists:
                pass


@contextmanager
def source_lock(source_key: str, source_name: str, wait_seconds: float) -> Iterator[str]:
    """Hold the source's slot for the block; refuse after ``wait_seconds`` with a clear message."""
    from prefect.concurrency.sync import concurrency

    name = lock_name(source_key)
    ensure_limit(name)
    acquired = False
    try:
        with concurrency(name, occupy=1, timeout_seconds=wait_seconds, strict=True):
            acquired = True
            yield name
    except TimeoutError:
        if acquired:  # raised by the work inside the block, not by waiting for the slot
            raise
        raise SourceBusy(f"another moviepipe run of source {source_name} is in progress; waited "
                         f"{wait_seconds:g} s for it (concurrency limit {name}). Try again when it ends, "
                         "or raise MOVIEPIPE_SOURCE_LOCK_WAIT.") from None
