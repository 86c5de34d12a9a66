"""Fixtures for the warehouse tests: a fresh local warehouse built from sql/ per test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from warehouse_testlib import Snow  # noqa: E402


@pytest.fixture
def snow(tmp_path):
    warehouse = Snow(tmp_path)
    yield warehouse
    warehouse.close()
