import copy

import pytest

from moviepipe.contract import ContractError, make_batch_id, validate_manifest

VALID = {
    "contract_version": "1.0",
    "batch_id": "b20261018-abc",
    "entity": "movies",
    "source": {"kind": "sql", "name": "sqlite:///x.db"},
    "extracted_at": "2026-11-24T00:00:00+00:00",
    "watermark": {"column": "lastUpdated", "low": None, "high": "2026-10-18"},
    "row_count": 2,
    "columns": [{"name": "imdbID", "type": "string"}],
    "files": [{"name": "movies.csv", "format": "csv", "sha256": "0" * 64, "rows": 2, "bytes": 10}],
}


def test_valid_manifest_passes():
    assert validate_manifest(copy.deepcopy(VALID))["batch_id"] == "b20261018-abc"


@pytest.mark.parametrize("path, value, where", [
    (("row_count",), -1, "row_count"),
    (("files", 0, "sha256"), "xyz", "files/0/sha256"),
    (("files", 0, "name"), "../evil.csv", "files/0/name"),
    (("contract_version",), "2.0", "contract_version"),
    (("source", "kind"), "ftp", "source/kind"),
])
def test_invalid_manifest_names_the_field(path, value, where):
    manifest = copy.deepcopy(VALID)
    target = manifest
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ContractError, match=where):
        validate_manifest(manifest)


def test_unknown_field_rejected():
    manifest = copy.deepcopy(VALID) | {"surprise": 1}
    with pytest.raises(ContractError, match="surprise"):
        validate_manifest(manifest)


def test_batch_id_is_deterministic_and_range_sensitive():
    a = make_batch_id("sql|db|omdb", None, "2026-10-18")
    assert a == make_batch_id("sql|db|omdb", None, "2026-10-18")
    assert a != make_batch_id("sql|db|omdb", "2026-10-17", "2026-10-18")
    assert a != make_batch_id("sql|other|omdb", None, "2026-10-18")
    assert a.startswith("b20261018-")
