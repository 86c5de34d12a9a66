"""Alerts on failure. Local: printed to stderr and appended to ``alerts.jsonl``.

The cloud runtime publishes the same payload to SNS (issue 7). Messages never
carry secrets: errors raised by moviepipe mask source URLs before they get here.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path


class LocalAlerts:
    def __init__(self, path: Path):
        self.path = path

    def send(self, subject: str, detail: dict) -> dict:
        payload = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "subject": subject, **detail}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(payload, default=str) + "\n")
        print(f"ALERT: {subject}", file=sys.stderr)
        return payload
