import zipfile

from moviepipe.contract import sha256_file
from moviepipe.packaging import build_manifest, read_manifest_from_zip, write_raw_files, zip_batch
from moviepipe.sources.sql import SqlSource


def test_package_is_verifiable_and_reproducible(tmp_path, subset_db):
    source = SqlSource(f"sqlite:///{subset_db}", chunk_rows=50)
    plan = source.plan(None)
    raw = write_raw_files(source.batches(plan), source.schema, tmp_path / "raw" / "movies")
    source.close()
    manifest = build_manifest(raw, plan.batch_id, "sql", source.name, plan.low, plan.high)
    first = zip_batch(raw, manifest, tmp_path / "a.zip")
    second = zip_batch(raw, manifest, tmp_path / "b.zip")
    assert sha256_file(first) == sha256_file(second), "same files and manifest give the same bytes"
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["manifest.json", "movies.csv", "movies.parquet"]
    read = read_manifest_from_zip(first)
    assert read["row_count"] == plan.expected_rows == raw.rows
    assert {f["name"]: f["rows"] for f in read["files"]} == {"movies.csv": raw.rows, "movies.parquet": raw.rows}
    assert read["watermark"] == {"column": "lastUpdated", "low": None, "high": "2026-10-18"}
    assert [c["name"] for c in read["columns"]][:2] == ["imdbID", "Title"]
