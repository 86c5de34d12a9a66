"""Fast checks of the flow wiring: what is retried, and the deployment file."""

from pathlib import Path

import pytest
import yaml

from flows.pipeline import retry_if_transient
from moviepipe.errors import BatchRejected, SourceError, StageError

REPO = Path(__file__).resolve().parents[2]


class FailedState:
    def __init__(self, error):
        self.error = error

    def result(self):
        raise self.error


@pytest.mark.parametrize("error, retried", [
    (SourceError("source database not found: x"), False),
    (BatchRejected("bad zip", "not_a_zip"), False),
    (StageError("extract", "source changed mid-batch", retryable=True), True),
    (OSError("disk hiccup"), True),
])
def test_only_transient_errors_are_retried(error, retried):
    assert retry_if_transient(None, None, FailedState(error)) is retried


def test_deployment_points_at_a_real_flow():
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    for deployment in config["deployments"]:
        path, _, name = deployment["entrypoint"].partition(":")
        assert (REPO / path).is_file()
        import flows.pipeline as module

        assert hasattr(getattr(module, name), "fn"), f"{name} is not a Prefect flow"
