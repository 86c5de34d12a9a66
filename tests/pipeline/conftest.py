import pytest


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (each costs 10-20 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
