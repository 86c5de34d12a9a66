"""Package stage: raw CSV + Parquet + manifest, zipped, for one batch.

The files are written while rows stream from the source, so a batch never has
to fit in memory. The zip is reproducible (fixed member timestamps and order):
packaging the same files twice gives the same bytes.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from moviepipe.contract import (
    CONTRACT_VERSION,
    MANIFEST_NAME,
    RAW_ENTITY,
    WATERMARK_COLUMN,
    sha256_file,
    validate_manifest,
)
from moviepipe.contract.archive import DELETES_COLUMNS, DELETES_FILE

_ZIP_EPOCH = (2000, 1, 1, 0, 0, 0)
ZIP_LEVEL = 1


@dataclass
class RawFiles:
    folder: Path
    rows: int
    files: list[dict]
    columns: list[dict]


def write_raw_files(batches: Iterable[pa.RecordBatch], schema: pa.Schema, folder: Path,
                    entity: str = RAW_ENTITY) -> RawFiles:
    """Stream record batches into ``<entity>.csv`` and ``<entity>.parquet``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    csv_path, parquet_path = folder / f"{entity}.csv", folder / f"{entity}.parquet"
    rows = 0
    with pa_csv.CSVWriter(csv_path, schema) as csv_writer, pq.ParquetWriter(parquet_path, schema) as pq_writer:
        for batch in batches:
            csv_writer.write_batch(batch)
            pq_writer.write_batch(batch)
            rows += batch.num_rows
    files = [_file_entry(csv_path, "csv", rows, "data"), _file_entry(parquet_path, "parquet", rows, "data")]
    columns = [{"name": field.name, "type": str(field.type)} for field in schema]
    return RawFiles(folder=folder, rows=rows, files=files, columns=columns)


def _file_entry(path: Path, fmt: str, rows: int, role: str) -> dict:
    return {"name": path.name, "format": fmt, "sha256": sha256_file(path), "rows": rows,
            "bytes": path.stat().st_size, "role": role}


def add_deletes_file(raw: RawFiles, deletes: pa.Table, deleted_at: str) -> RawFiles:
    """Add ``deletes.csv`` (imdbID, sourceId, deletedAt): the keys the source no longer has."""
    table = pa.table({
        "imdbID": deletes.column("imdbID"),
        "sourceId": deletes.column("sourceId"),
        "deletedAt": pa.array([deleted_at] * deletes.num_rows, type=pa.string()),
    })
    assert tuple(table.column_names) == DELETES_COLUMNS
    path = raw.folder / DELETES_FILE
    pa_csv.write_csv(table, path)
    raw.files.append(_file_entry(path, "csv", table.num_rows, "deletes"))
    return raw


def build_manifest(raw: RawFiles, batch_id: str, source_kind: str, source_name: str,
                   low: str | None, high: str | None, entity: str = RAW_ENTITY,
                   schema_drift: dict | None = None) -> dict:
    manifest = {
        "contract_version": CONTRACT_VERSION,
        "batch_id": batch_id,
        "entity": entity,
        "source": {"kind": source_kind, "name": source_name},
        "extracted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "watermark": {"column": WATERMARK_COLUMN, "low": low, "high": high},
        "row_count": raw.rows,
        "columns": raw.columns,
        "files": raw.files,
    }
    if schema_drift is not None:
        manifest["schema_drift"] = schema_drift
    return validate_manifest(manifest)


def zip_batch(raw: RawFiles, manifest: dict, zip_path: Path) -> Path:
    """Write the manifest beside the files and zip them (manifest first)."""
    (raw.folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    temp = zip_path.with_suffix(".zip.tmp")
    # Deflate level 1: a third of level 6's time for ~10% more bytes; Parquet is compressed already,
    # so it is stored as it is.
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive:
        for name in [MANIFEST_NAME, *sorted(item["name"] for item in manifest["files"])]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".parquet") else zipfile.ZIP_DEFLATED
            info._compresslevel = ZIP_LEVEL  # open(info, "w") ignores the archive's level (public in 3.13)
            info.external_attr = 0o644 << 16
            with open(raw.folder / name, "rb") as source, archive.open(info, "w") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    temp.replace(zip_path)
    return zip_path


def read_manifest_from_zip(zip_path: Path) -> dict:
    """The manifest of a zip produced elsewhere (``moviepipe ingest``), validated."""
    with zipfile.ZipFile(zip_path) as archive:
        return validate_manifest(json.loads(archive.read(MANIFEST_NAME)))
