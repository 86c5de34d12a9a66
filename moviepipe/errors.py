"""Errors that end a run with a one-line message naming the problem.

Everything the pipeline raises on purpose derives from ``MoviepipeError``; the
CLI prints ``str(error)`` on one line and exits non-zero. ``retryable`` tells
Prefect's retry condition whether trying again can help (a network blip can,
a bad file cannot).
"""


class MoviepipeError(Exception):
    retryable = False
    stage = "pipeline"


class SourceError(MoviepipeError):
    """The source is missing, unreadable, or does not match its mapping."""

    stage = "extract"


class BatchRejected(MoviepipeError):
    """A batch zip failed validation and was quarantined."""

    stage = "unzip"

    def __init__(self, message: str, reason: str = "rejected"):
        super().__init__(message)
        self.reason = reason


class StageError(MoviepipeError):
    """A stage could not complete; the message says which and why."""

    def __init__(self, stage: str, message: str, retryable: bool = False):
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.retryable = retryable


class ReconciliationError(MoviepipeError):
    """Rows extracted do not equal rows loaded plus rows rejected."""

    stage = "reconcile"
