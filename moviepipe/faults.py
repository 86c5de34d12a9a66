"""Named crash points, for tests: ``MOVIEPIPE_FAULT=<stage>:<point>`` kills the process there.

``point(name)`` is a no-op unless the variable names it; then the process ends at once
with ``os._exit(137)`` (the status of a SIGKILL): no ``finally``, no ``atexit``, no
flush, no Prefect hook, exactly what a killed container or ``kill -9`` leaves behind.
The crash-matrix test (``tests/reliability``) runs the pipeline with each point set,
reruns it, and compares the warehouse with an uninterrupted run.

Points are listed in ``POINTS`` so a typo in a test fails loudly instead of never firing.
"""

from __future__ import annotations

import os
import sys

ENV = "MOVIEPIPE_FAULT"
EXIT_CODE = 137

#: Every point the code calls, in pipeline order, with where it sits.
POINTS = {
    "extract:inside": "extract wrote the first raw chunk, not the rest",
    "package:after": "the batch zip is built, nothing landed",
    "land:after": "the zip is in the landing bucket, the ledger still says land is running",
    "unzip:mid": "some processed files written, no _SUCCESS marker",
    "transform:mid": "some archive files written, not all",
    "load:between_pipes": "one pipe loaded its files, the next not",
    "merge:after_dim_movie": "DIM_MOVIE merged, its stream offset not yet moved",
    "merge:between": "the DIM_MOVIE task done, the other merges not",
    "reconcile:after": "the batch reconciled, the watermark not moved",
    "commit:between_watermark_and_keyscan": "the key scan written, the watermark not (the commit's two writes)",
}


def point(name: str) -> None:
    """Die here if ``MOVIEPIPE_FAULT`` names this point (a no-op otherwise)."""
    wanted = os.environ.get(ENV)
    if not wanted or wanted != name:
        return
    if name not in POINTS:  # pragma: no cover - a caller with a point nobody listed
        raise ValueError(f"unknown fault point {name!r}; add it to moviepipe.faults.POINTS")
    sys.stderr.write(f"moviepipe fault injected at {name}: exiting {EXIT_CODE}\n")
    sys.stderr.flush()
    os._exit(EXIT_CODE)
