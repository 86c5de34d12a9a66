"""`moviepipe dashboard` served for real and looked at with headless Chromium: every page, as a person sees it.

The command starts the Streamlit server on the test warehouse; one Chromium (DevTools
protocol, ``tests.browser.Browser``) opens each page, waits until Streamlit has finished
the script run and drawn every chart, checks the page's text (its title, the numbers the
warehouse holds; tables are drawn on a canvas, so the text checked is headings, metrics,
select boxes and chart legends) and that the screenshot is not blank. Screenshots go to the test's
folder; with ``MOVIEPIPE_EVIDENCE_DIR=docs/img`` they replace the ones the README shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from moviepipe.dashboard.navigation import PAGES
from tests.browser import Browser, assert_not_blank, assert_png, chromium_or_skip, free_port, keep_evidence
from tests.conftest import REPO, warehouse_query

pytestmark = pytest.mark.integration

MOVIEPIPE = str(Path(sys.executable).with_name("moviepipe"))
WIDTH = 1400
#: Streamlit has finished the run: the page's title is up, no skeleton is left, every chart is drawn.
READY = """(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const h1 = document.querySelector('h1');
  const charts = document.querySelectorAll('.vega-embed');
  const drawn = document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning' && !!h1 && h1.innerText.trim() === %s
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0 && drawn.length >= charts.length;
})()"""
CONTENT_HEIGHT = ("(() => { const main = document.querySelector('[data-testid=\"stMainBlockContainer\"]');"
                  " return main ? main.getBoundingClientRect().bottom + 80 : 0; })()")
#: url path -> page title ("" is the default page, the overview)
TITLES = {"": "moviepipe", "ratings": "Ratings", "top-movies": "Top movies", "box-office": "Box office",
          "history": "Movie history", "health": "Pipeline health"}


@pytest.fixture
def dashboard_server(dashboard_home, tmp_path):
    port = free_port()
    env = {**os.environ, "MOVIEPIPE_HOME": str(dashboard_home["home"])}
    env.pop("MOVIEPIPE_DASHBOARD_BACKEND", None)
    log = open(tmp_path / "dashboard.log", "w")
    server = subprocess.Popen([MOVIEPIPE, "dashboard", "--port", str(port)], cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"moviepipe dashboard did not start: {(tmp_path / 'dashboard.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", tmp_path / "dashboard.log"
    finally:
        server.terminate()  # the command became the Streamlit server (exec): this stops it
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_every_page_served_by_moviepipe_dashboard_shows_the_data(dashboard_server, dashboard_home, tmp_path):
    url, log = dashboard_server
    assert "moviepipe dashboard on http://127.0.0.1:" in log.read_text()
    assert {path for _, _, path, _ in PAGES} == set(TITLES)
    facts = warehouse_query(dashboard_home["home"], """
        SELECT (SELECT COUNT(*) FROM ANALYTICS.MOVIE_CURRENT) AS MOVIES,
               (SELECT COUNT(*) FROM ANALYTICS.MOVIE_HISTORY) AS VERSIONS,
               (SELECT BATCH_ID FROM OPS.BATCH_LEDGER ORDER BY STARTED_AT DESC LIMIT 1) AS LAST_BATCH""")[0]
    expected_text = {"": [f"{facts['MOVIES']:,}", f"{facts['VERSIONS']:,}", "Movies by decade"],
                     "ratings": ["By source", "Rotten Tomatoes", "Agreement between sources"],
                     "top-movies": ["Drama", "Best score per genre and decade"],
                     "box-office": ["Top earner per year", "Movies with a figure"],
                     "history": ["(restored)", "Versions", "CHANGED"],
                     "health": [facts["LAST_BATCH"], "Rows per stage", "Rejects by rule"]}
    browser = Browser(chromium_or_skip("the dashboard screenshots"), tmp_path / "chromium", WIDTH, 1000)
    shots = []
    try:
        for path, title in TITLES.items():
            browser.open(f"{url}/{path}", READY % json.dumps(title), timeout=90)
            browser.fit_height(CONTENT_HEIGHT, WIDTH)
            time.sleep(1.0)  # charts redraw at the new size
            text = browser.text()
            for needle in [title, *expected_text[path]]:
                assert needle in text, f"{path}: {needle!r} not on the page:\n{text[:1500]}"
            assert "Query failed" not in text and "Traceback" not in text
            assert "Page not found" not in text
            png = browser.screenshot(tmp_path / f"dashboard-{path or 'overview'}.png")
            assert_png(png, min_bytes=30_000)
            assert_not_blank(png)
            shots.append(png)
    finally:
        browser.close()
    kept = keep_evidence(*shots)
    print(f"\ndashboard screenshots: {', '.join(map(str, shots))}" + (f" (copied to {kept})" if kept else ""))
