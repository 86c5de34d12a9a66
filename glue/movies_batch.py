"""What a batch holds, from the manifest that the unzip Lambda put next to the raw CSV.

The Glue job is a reader of the batch contract: it validates the manifest
itself (``moviepipe.contract.validate_manifest``) instead of trusting that an
earlier stage did, finds the deletes file by its role, and checks the counts it
reads against the counts the manifest declares. A raw CSV with no manifest
beside it (a hand-made file, older tests) is accepted unless the caller passes
``require_manifest=True`` (the production Glue job does): then there is no
deletes file and nothing to check against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from moviepipe.contract import MANIFEST_NAME, ContractError, validate_manifest
from movies_io import read_text, sibling


@dataclass(frozen=True)
class BatchInputs:
    raw_csv: str
    manifest: dict | None = None
    deletes_csv: str | None = None

    @property
    def expected_rows(self) -> int | None:
        return self.manifest["row_count"] if self.manifest else None

    @property
    def expected_deletes(self) -> int | None:
        entry = _deletes_entry(self.manifest) if self.manifest else None
        return entry["rows"] if entry else None

    @property
    def columns(self) -> list[str] | None:
        return [c["name"] for c in self.manifest["columns"]] if self.manifest else None

    @property
    def column_types(self) -> dict[str, str]:
        """name -> the type the manifest declares (Arrow's names: string, int64, double, ...); {} without one."""
        return {c["name"]: c["type"] for c in self.manifest["columns"]} if self.manifest else {}


def _role(entry: dict) -> str:
    return entry.get("role", "data")


def _deletes_entry(manifest: dict) -> dict | None:
    entries = [f for f in manifest["files"] if _role(f) == "deletes"]
    if len(entries) > 1:
        raise ContractError(f"manifest lists {len(entries)} deletes files; at most one is allowed")
    return entries[0] if entries else None


def discover(session, raw_csv_path: str, batch_id: str, *, require_manifest: bool = False) -> BatchInputs:
    """Read and check ``manifest.json`` beside ``raw_csv_path``; locate the deletes file.

    Without a manifest: ``ContractError`` when ``require_manifest``, else inputs with nothing to check.
    """
    manifest_uri = sibling(raw_csv_path, MANIFEST_NAME)
    text = read_text(session, manifest_uri)
    if text is None:
        if require_manifest:
            raise ContractError(f"{raw_csv_path}: no {MANIFEST_NAME} next to the raw CSV")
        return BatchInputs(raw_csv_path)
    try:
        manifest = validate_manifest(json.loads(text))
    except json.JSONDecodeError as error:
        raise ContractError(f"{manifest_uri} is not valid JSON: {error}") from None
    if manifest["batch_id"] != batch_id:
        raise ContractError(f"{manifest_uri} is for batch {manifest['batch_id']!r}, not {batch_id!r}")
    name = raw_csv_path.rstrip("/").rsplit("/", 1)[-1]
    data_csvs = [f["name"] for f in manifest["files"] if _role(f) == "data" and f["format"] == "csv"]
    if name not in data_csvs:
        raise ContractError(f"{name} is not a data CSV of {manifest_uri} (data CSVs: {data_csvs})")
    entry = _deletes_entry(manifest)
    if entry is not None and entry["format"] != "csv":
        raise ContractError(f"deletes file {entry['name']} must be csv, not {entry['format']}")
    deletes = sibling(raw_csv_path, entry["name"]) if entry else None
    return BatchInputs(raw_csv_path, manifest, deletes)


def check_header(raw_csv_path: str, header: list[str], inputs: BatchInputs) -> None:
    """The raw CSV's header must be the manifest's columns, in order (when there is a manifest)."""
    if inputs.columns is not None and header != inputs.columns:
        raise ContractError(f"{raw_csv_path}: header {header} differs from the manifest's columns "
                            f"{inputs.columns}")


def check_count(what: str, counted: int, expected: int | None) -> None:
    """Rows read must be the rows the manifest declares (a truncated copy must not load)."""
    if expected is not None and counted != expected:
        raise ContractError(f"{what}: read {counted} rows, the manifest declares {expected}")
