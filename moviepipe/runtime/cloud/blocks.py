"""Prefect blocks the cloud runtime gets its connections from (prefect-aws, prefect-snowflake).

Blocks are Prefect's convention for connections: the operator saves them once (UI or
Python), the flows load them by name, and their secrets live encrypted in the Prefect
database, never in code, settings files or logs. Loading one fails with the setting
that named it and what to do, instead of a bare ``ValueError`` or ``ImportError``.
"""

from __future__ import annotations

import importlib

from moviepipe.errors import StageError

CLOUD_EXTRA = "pip install -e '.[cloud]'"


def load(module: str, class_name: str, name: str, setting: str):
    """``class_name.load(name)`` from ``module`` (a package of the cloud extra)."""
    try:
        block_class = getattr(importlib.import_module(module), class_name)
    except ImportError:
        raise StageError("runtime", f"{setting}={name} needs {module}: run {CLOUD_EXTRA}") from None
    try:
        return block_class.load(name)
    except ValueError as error:  # Prefect: "Unable to find block document named ..."
        raise StageError("runtime", f"{setting}={name}: no {class_name} block of that name on the Prefect "
                                    f"server ({str(error).splitlines()[0]}); see docs/orchestration.md") from None
