"""One run per source: a second run of the same source waits, then is refused by name."""

from __future__ import annotations

import threading
import time

import pytest

from flows.locks import SourceBusy, lock_name, source_lock

pytestmark = pytest.mark.usefixtures("prefect_harness")


#: Taking a free slot is a round trip to the Prefect server (slow on a loaded machine); only the
#: refusals use short waits, so the test times nothing but the refusal itself.
FREE_SLOT_WAIT = 60


def test_second_run_of_a_source_is_refused_and_other_sources_proceed():
    with source_lock("sql|a.db|omdb", "a.db", FREE_SLOT_WAIT):
        with pytest.raises(SourceBusy, match=r"another moviepipe run of source a.db is in progress; waited 0.5 s"):
            with source_lock("sql|a.db|omdb", "a.db", 0.5):
                pass
        with source_lock("sql|b.db|omdb", "b.db", FREE_SLOT_WAIT) as name:  # a different source does not wait
            assert name == lock_name("sql|b.db|omdb") != lock_name("sql|a.db|omdb")
    with source_lock("sql|a.db|omdb", "a.db", FREE_SLOT_WAIT):  # released when the first run ended
        pass


def test_a_waiting_run_starts_when_the_first_one_ends():
    events = []
    holding = threading.Event()

    def first():
        with source_lock("sql|c.db|omdb", "c.db", FREE_SLOT_WAIT):
            holding.set()
            time.sleep(1.5)
            events.append("first released")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(30)
    with source_lock("sql|c.db|omdb", "c.db", 60):
        events.append("second acquired")
    thread.join()
    assert events == ["first released", "second acquired"]


def test_an_error_inside_the_block_is_not_mistaken_for_a_busy_source():
    with pytest.raises(TimeoutError, match="from the work"):
        with source_lock("sql|d.db|omdb", "d.db", FREE_SLOT_WAIT):
            raise TimeoutError("from the work")
