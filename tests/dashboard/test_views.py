"""The views the dashboard adds stay in step with the code that defines what they list."""

from __future__ import annotations

import re

from moviepipe.contract.archive import TYPE2_ATTRIBUTES
from moviepipe.ledger import STAGES
from moviepipe.warehouse.sqlfiles import SQL_ROOT


def test_movie_history_compares_every_type2_attribute():
    text = (SQL_ROOT / "views" / "070_analytics_movie_history.sql").read_text()
    compared = re.findall(r"IFF\((\w+) IS DISTINCT FROM PREVIOUS_\1, ', \1', ''\)", text)
    lagged = re.findall(r"LAG\((\w+)\) OVER \(PARTITION BY IMDB_ID ORDER BY VALID_FROM\) AS PREVIOUS_\1", text)
    assert tuple(compared) == TYPE2_ATTRIBUTES
    assert tuple(lagged) == TYPE2_ATTRIBUTES


def test_pipeline_stages_numbers_the_ledgers_stages_in_order():
    text = (SQL_ROOT / "views" / "080_analytics_pipeline_stages.sql").read_text()
    numbered = re.findall(r"WHEN '(\w+)' THEN (\d+)", text)
    assert [stage for stage, _ in numbered] == list(STAGES)
    assert [int(number) for _, number in numbered] == list(range(1, len(STAGES) + 1))
