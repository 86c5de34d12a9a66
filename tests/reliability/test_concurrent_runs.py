"""Two runs at once: on one home one proceeds and the other is refused naming it; two homes both proceed."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_subset
from tests.reliability.helpers import in_child, last_error, start_child, wait_child, warehouse_facts

pytestmark = pytest.mark.integration


def test_two_runs_on_one_home_and_on_two_homes(tmp_path):
    url = f"sqlite:///{make_subset(tmp_path / 'movies.db', 20)}"
    one, a, b = tmp_path / "one", tmp_path / "a", tmp_path / "b"
    logs = [tmp_path / "one-1.log", tmp_path / "one-2.log"]
    pids = [start_child(one, url, log=log) for log in logs]
    others = [start_child(home, url) for home in (a, b)]
    codes = [wait_child(pid) for pid in pids]
    assert [wait_child(pid) for pid in others] == [0, 0], "two homes reading one source do not block each other"

    texts = [log.read_text() for log in logs]
    if sorted(codes) == [0, 1]:  # the usual case: they overlapped
        refused = codes.index(1)
        holder = pids[1 - refused]
        assert re.search(rf"SourceBusy: another moviepipe run of source .*movies.db is in progress \(held by pid "
                         rf"{holder} on .* since .*; lock .*{one}/locks/moviepipe-source-.*\.lock\)",
                         last_error(logs[refused])), last_error(logs[refused])
    else:  # the first had finished before the second looked: then the second found nothing new
        assert codes == [0, 0] and sum("result: unchanged" in text for text in texts) == 1, texts
    facts = [in_child(warehouse_facts, str(home)) for home in (one, a)]
    assert facts[0]["dim"] == facts[1]["dim"] and facts[0]["raw_counts"] == facts[1]["raw_counts"], \
        "the refused run left no trace: the home holds one run's state"
