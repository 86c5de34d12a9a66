"""movies_engine.plan_break and movies_io.write_csv_counted on the local engine (the #13 planning fixes)."""

from __future__ import annotations

from movies_engine import api_for, drop_plan_breaks, plan_break
from movies_io import write_csv_counted


def _views(duck) -> set[str]:
    rows = duck._conn.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    return {name for (name,) in rows if name.startswith("movies_view_")}


def test_plan_break_keeps_rows_and_types_and_its_views_are_dropped(duck):
    F = api_for(duck).F
    frame = duck.createDataFrame([(1, "a"), (2, None)], ["x", "y"]).select(
        "*", (F.col("x") * 2).alias("z"), F.to_date(F.lit("2020-01-02")).alias("d"))
    before = _views(duck)
    broken = plan_break(frame)
    later = plan_break(broken.select("*", (F.col("z") + 1).alias("w")))
    assert len(_views(duck) - before) == 2
    assert broken.schema == frame.schema
    assert sorted(later.collect()) == sorted(r + (r[2] + 1,) for r in frame.collect())
    drop_plan_breaks(duck)
    assert not _views(duck)  # every plan_break view is gone


def test_write_csv_counted_returns_the_rows_of_the_one_copy(duck, tmp_path):
    F = api_for(duck).F
    frame = duck.createDataFrame([(2, "b,#"), (1, None), (3, "c")], ["N", "T"])
    relpath, rows = write_csv_counted(frame, str(tmp_path), "e/batch_id=b/e.csv", order_by=["N"])
    assert (relpath, rows) == ("e/batch_id=b/e.csv", 3)
    assert (tmp_path / relpath).read_text(encoding="utf-8") == 'N,T\n1,\\N\n2,"b,#"\n3,c\n'
    relpath, rows = write_csv_counted(frame.filter(F.col("N") > 9), str(tmp_path), "e/batch_id=b/e.csv")
    assert rows == 0
    assert (tmp_path / relpath).read_text(encoding="utf-8") == "N,T\n"  # header only, replacing the first file
    assert not (tmp_path / "_staging").exists()
