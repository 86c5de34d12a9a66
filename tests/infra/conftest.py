"""Fixtures for the infra tests; the mocks and the program runner live in infra_harness.py.

The program runs once per session with the test configuration (``stack``);
tests that vary a setting call ``run_program`` themselves.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # infra_harness, whatever the import mode

from infra_harness import Stack, base_config, run_program  # noqa: E402


def pytest_configure(config):
    # pulumi_aws warns about its own deprecated classes when its modules are imported.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws.*")


@pytest.fixture(scope="session")
def layer_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lambda-layer")
    (path / "python").mkdir()
    return path


@pytest.fixture(scope="session")
def config(layer_dir) -> dict[str, str]:
    return base_config(layer_dir)


@pytest.fixture(scope="session")
def stack(config) -> Stack:
    """The program as the committed defaults configure it (one run per test session)."""
    return run_program(config)
