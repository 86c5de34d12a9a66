"""A corpus of batch zips, built on demand: one valid zip and one bad zip per way a zip can be wrong.

``CASES`` maps a case name to (expected reason code, builder, environment
overrides). Builders write into a folder and return the zip's path; nothing
binary is kept in git. Used by tests/unzip (the handler) and tests/ingest
(the handler and the CLI).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from moviepipe.contract import CONTRACT_VERSION, EXTRA_COLUMNS, MANIFEST_NAME, RAW_COLUMNS
from moviepipe.contract.archive import DELETES_COLUMNS

HEADER = list(RAW_COLUMNS + EXTRA_COLUMNS)
ROWS = [
    {"imdbID": "tt1375666", "Title": "Inception", "Year": "2010", "Rated": "PG-13", "Released": "16 Jul 2010",
     "Runtime": "148 min", "Genre": "Action, Sci-Fi", "Director": "Christopher Nolan", "Type": "movie",
     "imdbRating": "8.8/10", "imdbVotes": "2,345,678", "lastUpdated": "2026-10-18 10:11:12", "sourceId": "9001"},
    {"imdbID": "tt0056801", "Title": "8½", "Year": "1963", "Released": "1963-02-14", "Genre": "Drama",
     "Plot": 'He said "hi"\nthen left', "Type": "movie", "lastUpdated": "2026-10-18", "sourceId": "5"},
    {"imdbID": "tt0000099", "Title": "Small One", "Year": "1999", "Type": "movie", "lastUpdated": "2026-10-18",
     "sourceId": "99"},
]
DELETES = [("tt0000100", "100", "2026-10-18 07:00:00")]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def parquet_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    table = pa.table({name: pa.array([row[i] for row in rows], pa.string()) for i, name in enumerate(header)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


@dataclass
class Batch:
    """A batch's files and manifest before zipping; ``refresh`` re-declares a changed file honestly."""

    files: dict[str, bytes]
    manifest: dict
    extra_members: list[tuple[zipfile.ZipInfo | str, bytes]] = field(default_factory=list)

    def entry(self, name: str) -> dict:
        return next(item for item in self.manifest["files"] if item["name"] == name)

    def refresh(self, name: str, rows: int | None = None) -> None:
        item = self.entry(name)
        item["sha256"] = hashlib.sha256(self.files[name]).hexdigest()
        item["bytes"] = len(self.files[name])
        if rows is not None:
            item["rows"] = rows


def good_batch(batch_id: str = "b20261018T101112-corpus0001") -> Batch:
    rows = [[row.get(name, "") for name in HEADER] for row in ROWS]
    files = {
        "movies.csv": csv_bytes(HEADER, rows),
        "movies.parquet": parquet_bytes(HEADER, rows),
        "deletes.csv": csv_bytes(list(DELETES_COLUMNS), [list(d) for d in DELETES]),
    }
    entries = [
        {"name": "movies.csv", "format": "csv", "rows": len(rows), "role": "data"},
        {"name": "movies.parquet", "format": "parquet", "rows": len(rows), "role": "data"},
        {"name": "deletes.csv", "format": "csv", "rows": len(DELETES), "role": "deletes"},
    ]
    manifest = {
        "contract_version": CONTRACT_VERSION, "batch_id": batch_id, "entity": "movies",
        "source": {"kind": "external", "name": "zip corpus"}, "extracted_at": "2026-10-18T10:15:00+00:00",
        "watermark": {"column": "lastUpdated", "low": None, "high": "2026-10-18 10:11:12"},
        "row_count": len(rows), "columns": [{"name": n, "type": "string"} for n in HEADER], "files": entries,
    }
    batch = Batch(files, manifest)
    for name in files:
        batch.refresh(name)
    return batch


def write_zip(batch: Batch, path: Path, manifest_bytes: bytes | None = None,
              after_write: Callable[[zipfile.ZipFile], None] | None = None) -> Path:
    """Zip the manifest, the files and any extra members; ``after_write`` may forge central-directory fields."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        data = manifest_bytes if manifest_bytes is not None else json.dumps(batch.manifest, indent=2).encode()
        archive.writestr(MANIFEST_NAME, data)
        for name, content in batch.files.items():
            archive.writestr(name, content)
        for info, content in batch.extra_members:
            archive.writestr(info, content)
        if after_write:
            after_write(archive)
    return path


# ---------------------------------------------------------------- the bad cases
def _changed(change: Callable[[Batch], None], **zip_options) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        batch = good_batch()
        change(batch)
        return write_zip(batch, folder / "batch.zip", **zip_options)
    return build


def _not_a_zip(folder: Path) -> Path:
    path = folder / "batch.zip"
    path.write_bytes(b"PK\x03\x04 definitely truncated")
    return path


def _member(name: str, mode: int | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 10, 18, 0, 0, 0))
    if mode is not None:
        info.external_attr = mode << 16
    return info


def _forge(name: str, **fields):
    def forge(archive: zipfile.ZipFile) -> None:
        info = archive.getinfo(name)
        for key, value in fields.items():
            setattr(info, key, value(info) if callable(value) else value)
    return forge


def _drop(batch: Batch, name: str) -> None:
    del batch.files[name]


def _edit_csv(batch: Batch, name: str, edit: Callable[[bytes], bytes], rows: int | None = None) -> None:
    batch.files[name] = edit(batch.files[name])
    batch.refresh(name, rows)


def _drop_last_row(data: bytes) -> bytes:
    text = data.decode("utf-8")
    return text[: text.rstrip("\n").rfind("\n") + 1].encode("utf-8")


CASES: dict[str, tuple[str, Callable[[Path], Path], dict]] = {
    "not_a_zip": ("not_a_zip", _not_a_zip, {}),
    "too_many_members": ("too_many_members", _changed(
        lambda b: b.extra_members.extend((f"x{i}.txt", b"x") for i in range(20))), {}),
    "duplicate_member": ("duplicate_member", _changed(
        lambda b: b.extra_members.append(("movies.csv", b.files["movies.csv"]))), {}),
    "zip_slip_dotdot": ("unsafe_path", _changed(lambda b: b.extra_members.append(("../evil.csv", b"x"))), {}),
    "zip_slip_absolute": ("unsafe_path", _changed(lambda b: b.extra_members.append(("/tmp/evil.csv", b"x"))), {}),
    "symlink": ("symlink", _changed(
        lambda b: b.extra_members.append((_member("link.csv", stat.S_IFLNK | 0o777), b"/etc/passwd"))), {}),
    "directory_member": ("unexpected_file", _changed(
        lambda b: b.extra_members.append((_member("sub/", stat.S_IFDIR | 0o755), b""))), {}),
    "encrypted": ("encrypted", _changed(lambda b: None, after_write=_forge("movies.csv", flag_bits=0x1)), {}),
    "zip_bomb_ratio": ("zip_bomb", _changed(lambda b: b.extra_members.append(("bomb.csv", b"\0" * (4 << 20)))), {}),
    "too_large": ("too_large", _changed(lambda b: None), {"MOVIEPIPE_MAX_UNCOMPRESSED_BYTES": "2000"}),
    # the entry's header and the manifest agree on a size 10 bytes short of the real data
    "lying_size_header": ("corrupt_member", _changed(
        lambda b: b.entry("movies.csv").update(bytes=b.entry("movies.csv")["bytes"] - 10),
        after_write=_forge("movies.csv", file_size=lambda i: i.file_size - 10)), {}),
    "missing_manifest": ("missing_manifest", lambda folder: _without_manifest(folder), {}),
    "manifest_not_json": ("invalid_manifest", _changed(lambda b: None, manifest_bytes=b"{not json"), {}),
    "manifest_schema_invalid": ("invalid_manifest", _changed(
        lambda b: b.manifest.update(contract_version="2.0")), {}),
    "missing_file": ("missing_file", _changed(lambda b: _drop(b, "movies.parquet")), {}),
    "unexpected_file": ("unexpected_file", _changed(lambda b: b.extra_members.append(("notes.txt", b"hi"))), {}),
    "size_mismatch": ("size_mismatch", _changed(
        lambda b: b.entry("movies.csv").update(bytes=b.entry("movies.csv")["bytes"] + 1)), {}),
    "checksum_mismatch": ("checksum_mismatch", _changed(
        lambda b: b.files.update({"movies.csv": b.files["movies.csv"].replace(b"Inception", b"Inceptiom")})), {}),
    "checksum_mismatch_deletes": ("checksum_mismatch", _changed(
        lambda b: b.files.update({"deletes.csv": b.files["deletes.csv"].replace(b"tt0000100", b"tt0000101")})), {}),
    "row_count_mismatch": ("row_count_mismatch", _changed(lambda b: _edit_csv(b, "movies.csv", _drop_last_row)), {}),
    "row_count_mismatch_deletes": ("row_count_mismatch", _changed(
        lambda b: _edit_csv(b, "deletes.csv", lambda d: d + b"tt0000101,101,2026-10-18\n")), {}),
    "row_count_disagrees_with_manifest": ("row_count_mismatch", _changed(
        lambda b: b.manifest.update(row_count=4)), {}),
    "header_mismatch": ("header_mismatch", _changed(
        lambda b: _edit_csv(b, "movies.csv", lambda d: d.replace(b"imdbID,", b"imdb_id,", 1))), {}),
    "deletes_header_mismatch": ("header_mismatch", _changed(
        lambda b: _edit_csv(b, "deletes.csv", lambda d: d.replace(b"deletedAt", b"deleted", 1))), {}),
    "invalid_encoding": ("invalid_encoding", _changed(
        lambda b: _edit_csv(b, "movies.csv", lambda d: d.replace("8½".encode(), "8½".encode("latin-1")))), {}),
    "parquet_not_parquet": ("invalid_file", _changed(
        lambda b: _edit_csv(b, "movies.parquet", lambda d: b"NOTPARQUET" + d[4:])), {}),
}


def _without_manifest(folder: Path) -> Path:
    batch = good_batch()
    path = folder / "batch.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in batch.files.items():
            archive.writestr(name, content)
    return path


def build(case: str, folder: Path) -> tuple[Path, str, dict]:
    """Build ``case`` in ``folder`` (created); return (zip path, expected reason, environment overrides)."""
    reason, builder, env = CASES[case]
    folder.mkdir(parents=True, exist_ok=True)
    return builder(folder), reason, dict(env)


def valid_zip(folder: Path, batch_id: str = "b20261018T101112-corpus0001",
              with_deletes: bool = True) -> tuple[Path, dict]:
    folder.mkdir(parents=True, exist_ok=True)
    batch = good_batch(batch_id)
    if not with_deletes:
        del batch.files["deletes.csv"]
        batch.manifest["files"] = [f for f in batch.manifest["files"] if f.get("role") != "deletes"]
    return write_zip(batch, folder / "batch.zip"), copy.deepcopy(batch.manifest)
