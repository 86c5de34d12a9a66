import pytest

from moviepipe.errors import StageError
from moviepipe.runtime import build_runtime
from moviepipe.settings import load_settings


def test_local_is_the_default_and_uses_moviepipe_home(home):
    rt = build_runtime()
    try:
        assert rt.name == "local"
        assert rt.landing.root == home / "buckets" / "landing"
        assert rt.archive.uri().startswith("file:///")
    finally:
        rt.close()


def test_cloud_runtime_without_its_settings_names_what_is_missing(monkeypatch):
    monkeypatch.setenv("MOVIEPIPE_RUNTIME", "cloud")
    with pytest.raises(StageError, match=r"MOVIEPIPE_RUNTIME=cloud needs MOVIEPIPE_LANDING_BUCKET"):
        build_runtime(load_settings())


def test_unknown_runtime_is_a_validation_error(monkeypatch):
    monkeypatch.setenv("MOVIEPIPE_RUNTIME", "mars")
    with pytest.raises(Exception, match="runtime"):
        load_settings()
