"""Progress events from the stages, for whoever is watching (the CLI, a test, nobody).

Stages call ``started``/``finished``/``failed``; the CLI installs a listener
that draws them. Kept as a module-level hook because Prefect flow parameters
must be serialisable and a console is not.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("moviepipe")


class Listener(Protocol):
    def started(self, stage: str, batch_id: str) -> None: ...
    def finished(self, stage: str, rows: int | None, seconds: float, where: str) -> None: ...
    def failed(self, stage: str, error: str) -> None: ...


_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def started(stage: str, batch_id: str) -> None:
    log.info("batch %s: %s started", batch_id, stage)
    for listener in list(_listeners):
        listener.started(stage, batch_id)


def finished(stage: str, rows: int | None, seconds: float, where: str = "") -> None:
    log.info("%s finished: %s rows in %.1fs", stage, rows, seconds)
    for listener in list(_listeners):
        listener.finished(stage, rows, seconds, where)


def failed(stage: str, error: str) -> None:
    log.info("%s failed: %s", stage, error)
    for listener in list(_listeners):
        listener.failed(stage, error)
