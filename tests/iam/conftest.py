"""tests/iam: the rendered IAM policies enforced by moto on the code's real calls (see world.py)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "unzip"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def pytest_configure(config):
    # pulumi_aws warns about its own deprecated classes when its modules are imported.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws.*")
