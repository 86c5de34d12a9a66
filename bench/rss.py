"""Peak resident memory of the whole process tree, per phase, sampled in a background thread.

``resource.getrusage`` only knows this process and *waited-for* children, and only the
all-time peak; a benchmark that runs many phases in one process needs a peak per phase
that includes live children (a Spark JVM, a Prefect server). psutil sums the resident
set of this process and all its descendants every ``interval`` seconds.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import psutil


def tree_rss(root: psutil.Process | None = None) -> int:
    """Bytes resident in ``root`` (default: this process) and all its descendants right now."""
    me = root or psutil.Process()
    try:
        total = me.memory_info().rss
    except psutil.Error:  # the root itself has ended
        return 0
    for child in me.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:  # the child ended between listing and reading
            continue
    return total


class RssSampler:
    """Background sampler; ``phase(name)`` records the peak seen while the block runs."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peaks: dict[str, int] = {}
        self.overall = 0
        self._current: str | None = None
        self._phase_peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        rss = tree_rss()
        with self._lock:
            self.overall = max(self.overall, rss)
            if self._current is not None:
                self._phase_peak = max(self._phase_peak, rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def begin(self, name: str) -> None:
        self._sample()
        with self._lock:
            self._current, self._phase_peak = name, 0
        self._sample()

    def end(self) -> int:
        """The peak of the phase that just ended (bytes)."""
        self._sample()
        with self._lock:
            name, peak = self._current, self._phase_peak
            self._current = None
        if name is not None:
            self.peaks[name] = max(self.peaks.get(name, 0), peak)
        return peak

    @contextmanager
    def phase(self, name: str):
        self.begin(name)
        try:
            yield
        finally:
            self.end()


def run_watched(command: list[str], interval: float = 0.05, **popen) -> tuple[int, int, float]:
    """Run ``command`` to its end: (return code, peak bytes resident in its process tree, wall seconds).

    Only the child's tree is counted, not this process: the figure is the tool's own."""
    import subprocess

    started = time.perf_counter()
    child = subprocess.Popen(command, **popen)
    root = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_rss(root))
        time.sleep(interval)
    return child.returncode, peak, time.perf_counter() - started
