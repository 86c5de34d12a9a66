"""Open the source a run's settings name: a SQL database (the default) or the OMDb API.

The one place that turns configuration into a ``Source``; flows and the CLI
never build sources themselves. Secrets stay where they are: a SQL password
inside ``MOVIEPIPE_SOURCE`` (masked everywhere it is shown), the OMDb key in
``OMDB_API_KEY`` or a Prefect Secret block named by ``MOVIEPIPE_OMDB_SECRET_BLOCK``.
"""

from __future__ import annotations

from typing import Callable, Iterable
from urllib.parse import urlparse

from moviepipe.errors import SourceError
from moviepipe.settings import Settings

OMDB = "omdb"


def open_source(settings: Settings, *, window: tuple[str, str] | None = None,
                current_ids: Callable[[], Iterable[str]] | None = None):
    """The source for ``settings.source``; ``window`` makes a SQL backfill.

    ``current_ids`` (the warehouse's current movies) feeds an OMDb refresh when
    no other id list is configured.
    """
    if settings.source.strip().lower() == OMDB:
        if window:
            raise SourceError("a backfill window applies to SQL sources; an OMDb refresh re-fetches instead")
        return _omdb(settings, current_ids)
    from moviepipe.sources.sql import SqlSource
    from moviepipe.sources.sql.mapping import load_mapping

    mapping = load_mapping(settings.mapping) if settings.mapping else None
    return SqlSource(settings.source or None, mapping=mapping, chunk_rows=settings.chunk_rows,
                     drift_policy=settings.drift_policy, lookback_days=settings.lookback_days,
                     detect_deletes=settings.detect_deletes, window=window)


def _omdb(settings: Settings, current_ids):
    from moviepipe.sources.omdb import OmdbSource, ids_from_file, ids_from_iterable, ids_from_sql

    if settings.omdb_ids:
        ids = ids_from_file(settings.omdb_ids)
    elif settings.omdb_ids_sql:
        ids = ids_from_sql(settings.omdb_ids_sql, query=settings.omdb_ids_query or None,
                           table=None if settings.omdb_ids_query else "omdb")
    elif settings.omdb_refresh and current_ids is not None:
        ids = ids_from_iterable(current_ids, label="warehouse")
    else:
        raise SourceError("the OMDb source needs ids: MOVIEPIPE_OMDB_IDS (a file), MOVIEPIPE_OMDB_IDS_SQL "
                          "(+ MOVIEPIPE_OMDB_IDS_QUERY), or MOVIEPIPE_OMDB_REFRESH=true for the warehouse's movies")
    host = urlparse(settings.omdb_base_url).netloc or "omdb"
    from moviepipe.pipeline import slug

    folder = settings.home_dir / "sources" / OMDB / slug(host)
    return OmdbSource(ids, folder, api_key_secret=settings.omdb_secret_block or None,
                      base_url=settings.omdb_base_url, refresh=settings.omdb_refresh,
                      requests_per_second=settings.omdb_requests_per_second,
                      daily_quota=settings.omdb_daily_quota, retry_missing=settings.omdb_retry_missing,
                      retry_missing_after_days=settings.omdb_retry_missing_after_days,
                      quota_path=settings.home_dir / "sources" / OMDB / "daily-quota.sqlite",
                      name=f"omdb:{host}")
