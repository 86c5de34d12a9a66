"""The moviepipe Pulumi program; ``__main__.py`` is the entry point (see Pulumi.yaml).

The program imports two stdlib-only modules from the application package
(``moviepipe.warehouse.sqlfiles`` for the SQL, ``moviepipe.contract`` for the raw
columns), so the repository root must be importable even when the package is
not installed into the Pulumi virtualenv.
"""

import sys
from pathlib import Path

_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
