"""Headless Chromium for screenshot evidence: the Prefect UI, the dashboard pages, the HTML run report.

Two ways in, sharing the binary and its flags (``CHROMIUM_FLAGS``: offline, no first-run
work, a private profile):

- ``screenshot(url, png, profile)``: one ``chromium --screenshot`` call, for pages whose
  content is there once loading ends (the Prefect UI, a static HTML file);
- ``Browser``: one Chromium driven over the DevTools protocol (``--remote-debugging-port``
  and a websocket), for pages drawn after load over a websocket of their own (Streamlit):
  it waits until a JavaScript condition holds, then reads the page's text and captures
  it, and serves many pages from one browser start.

Debian's ``chromium`` (``.ci/run`` installs it); without it the caller skips, saying so.
``keep_evidence`` copies PNGs to ``$MOVIEPIPE_EVIDENCE_DIR`` when that is set (e.g.
``docs/img`` to refresh the committed screenshots).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")
EVIDENCE_ENV = "MOVIEPIPE_EVIDENCE_DIR"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_or_skip(what: str) -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip(f"no chromium for {what} (apt-get install -y chromium)")
    return browser


def screenshot(browser: str, url: str, png: Path, profile: Path, size: str = "1600,1100",
               budget_ms: int = 20000) -> Path:
    subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                    f"--virtual-time-budget={budget_ms}", f"--screenshot={png}", url], capture_output=True, timeout=180)
    assert_png(png)
    return png


def assert_png(png: Path, min_bytes: int = 20_000) -> None:
    """A real PNG of some substance (a blank page compresses to a few KB)."""
    assert png.is_file(), f"no screenshot at {png}"
    data = png.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{png} is not a PNG"
    assert len(data) > min_bytes, f"{png} is only {len(data)} bytes: a blank page?"


def assert_not_blank(png: Path, min_colours: int = 64, min_busy_rows: float = 0.2) -> None:
    """Content, not a skeleton: many colours (text, charts), spread over a good part of the height."""
    from PIL import Image

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        assert colours is None or len(colours) >= min_colours, f"{png}: only {len(colours)} colours"
        grey = rgb.convert("L")
        width, height = grey.size
        background = max(grey.getcolors(256))[1]
        busy = sum(1 for y in range(0, height, 4)
                   if sum(1 for x in range(0, width, 8) if abs(grey.getpixel((x, y)) - background) > 24) > 3)
        assert busy / len(range(0, height, 4)) >= min_busy_rows, f"{png}: mostly empty ({busy} busy rows)"


def keep_evidence(*pngs: Path) -> Path | None:
    keep = os.environ.get(EVIDENCE_ENV)
    if not keep:
        return None
    folder = Path(keep)
    folder.mkdir(parents=True, exist_ok=True)
    for png in pngs:
        shutil.copyfile(png, folder / png.name)
    return folder


class Browser:
    """One headless Chromium, driven over the DevTools protocol."""

    def __init__(self, binary: str, profile: Path, width: int = 1400, height: int = 1000):
        from websockets.sync.client import connect

        port = free_port()
        self.process = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                         f"--window-size={width},{height}", f"--remote-debugging-port={port}",
                                         "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._ids = itertools.count(1)
        try:
            page = self._page_target(port)
            self.socket = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
            self.call("Page.enable")
            self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                      mobile=False)
        except BaseException:
            self.close()
            raise

    def _page_target(self, port: int, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                pages = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                         if t.get("type") == "page"]
                if pages:
                    return pages[0]
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}")
            time.sleep(0.2)
        raise TimeoutError("chromium's DevTools endpoint did not answer")

    def call(self, method: str, **params) -> dict:
        message_id = next(self._ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url: str, ready: str, timeout: float = 60, settle: float = 1.0) -> None:
        """Navigate and wait until the JavaScript expression ``ready`` is true, then ``settle`` seconds more."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while not self.evaluate(ready):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: not ready after {timeout:.0f} s; page text: "
                                   f"{(self.text() or '')[:500]!r}")
            time.sleep(0.25)
        time.sleep(settle)

    def fit_height(self, expression: str, width: int, most: int = 4000) -> int:
        """Resize the viewport to the height the JavaScript ``expression`` gives (a page's content)."""
        height = min(most, max(600, int(self.evaluate(expression) or 0)))
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)
        return height

    def text(self) -> str:
        """What a reader sees as text: the page's text and the values shown in its inputs (select boxes)."""
        return self.evaluate("document.body ? document.body.innerText + '\\n' + Array.from("
                             "document.querySelectorAll('input')).map(i => i.value).join('\\n') : ''") or ""

    def screenshot(self, png: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        png.write_bytes(base64.b64decode(data))
        return png

    def close(self) -> None:
        socket_ = getattr(self, "socket", None)
        if socket_ is not None:
            socket_.close()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
