"""The OMDb API source through the whole local pipeline, against the local OMDb look-alike.

Ids from a file become a batch whose OMDb-shaped strings the Glue transform
cleanses; a refresh re-fetches the warehouse's current movies and, the answers
being the same, makes no new version. The key never reaches the home folder.
"""

from __future__ import annotations

import pytest

from flows.pipeline import run_flow
from tests.conftest import warehouse_query as query
from tests.sources.omdb_server import OmdbServer, imdb_ids

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]

KEY = "omdb-key-7f3a9c-never-logged"


def test_omdb_ids_file_then_refresh_from_the_warehouse(home, tmp_path, monkeypatch):
    ids = imdb_ids(1375666, 40)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("# a watch list\n" + "\n".join(ids) + "\n")
    with OmdbServer(api_key=KEY, not_found_every=9) as server:
        monkeypatch.setenv("OMDB_API_KEY", KEY)
        monkeypatch.setenv("MOVIEPIPE_SOURCE", "omdb")
        monkeypatch.setenv("MOVIEPIPE_OMDB_IDS", str(ids_file))
        monkeypatch.setenv("MOVIEPIPE_OMDB_BASE_URL", server.url)
        monkeypatch.setenv("MOVIEPIPE_OMDB_REQUESTS_PER_SECOND", "200")

        first = run_flow(home=str(home))
        found = [i for i in ids if not server.is_not_found(i)]
        assert first["status"] == "loaded"
        rec = first["reconcile"]
        assert rec["extracted"] == len(found) == rec["loaded"] + rec["rejected"]
        assert set(server.successes) == set(ids) and max(server.successes.values()) == 1
        current = query(home, "SELECT IMDB_ID, RUNTIME_MINUTES FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT")
        assert len(current) == rec["loaded"]
        for row in current:  # OMDb's "148 min" became a number of minutes
            runtime = server.movie(row["IMDB_ID"])["Runtime"]
            expected = None if runtime == "N/A" else int(runtime.split()[0])
            assert (None if row["RUNTIME_MINUTES"] is None else int(row["RUNTIME_MINUTES"])) == expected
        extras = query(home, "SELECT EXTRA FROM RAW.MOVIES")
        assert all("Ratings" in str(row["EXTRA"]) for row in extras), "OMDb's Ratings list rides in EXTRA"
        scores = query(home, "SELECT COUNT(*) AS N FROM ANALYTICS.FACT_MOVIE_RATING")[0]["N"]
        assert scores > 0

        assert run_flow(home=str(home))["status"] == "unchanged"  # same ids: nothing fetched, no batch
        assert max(server.successes.values()) == 1

        monkeypatch.delenv("MOVIEPIPE_OMDB_IDS")
        monkeypatch.setenv("MOVIEPIPE_OMDB_REFRESH", "true")
        versions = query(home, "SELECT COUNT(*) AS N FROM ANALYTICS.DIM_MOVIE")[0]["N"]
        refreshed = run_flow(home=str(home))
        assert refreshed["status"] == "loaded"
        assert all(server.successes[i] == 2 for i in found if i in {r["IMDB_ID"] for r in current})
        assert query(home, "SELECT COUNT(*) AS N FROM ANALYTICS.DIM_MOVIE")[0]["N"] == versions, \
            "the same answers a second time make no new version"

    leaked = [path for path in home.rglob("*") if path.is_file() and KEY.encode() in path.read_bytes()]
    assert leaked == []
