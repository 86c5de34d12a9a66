"""Alerts: one payload, several targets.

Local: printed to stderr and appended to ``alerts.jsonl``. Cloud: published to the
SNS topic the Pulumi program creates (``alertTopicArn``). Either way the same payload
can also go to a webhook (``MOVIEPIPE_ALERT_WEBHOOK``, a JSON POST) and to SMTP
(``MOVIEPIPE_ALERT_SMTP``). A secondary target that fails is reported on stderr and
never hides the alert it was carrying, nor the error that caused it.

Messages never carry secrets: errors raised by moviepipe mask source URLs before
they get here, and ``redact`` masks anything still shaped like a credential
(URL passwords, ``password=``/``token=`` pairs, AWS access key ids) as a second line
of defence.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import sys
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

#: SNS refuses subjects longer than 100 characters (and newlines in them).
SUBJECT_LIMIT = 100

_SECRET_PATTERNS = (
    (re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+):[^@\s/]+@"), r"\g<scheme>:***@"),
    (re.compile(r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|private[_-]?key)\b(\s*[=:]\s*)[^\s,;&\"']+"),
     r"\1\2***"),
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), "***"),
)


def redact(text: str) -> str:
    """Mask anything shaped like a credential; the alert stays readable."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def subject_line(subject: str) -> str:
    """One line, at most ``SUBJECT_LIMIT`` characters (SNS and most mail servers insist)."""
    line = " ".join(redact(subject).split())
    return line if len(line) <= SUBJECT_LIMIT else line[: SUBJECT_LIMIT - 1] + "…"


def flow_run_link(flow_run_id: str | None) -> str | None:
    """Link to a flow run in the Prefect UI (``PREFECT_UI_URL``), when both are known."""
    if not flow_run_id:
        return None
    try:
        from prefect.settings import PREFECT_UI_URL

        base = PREFECT_UI_URL.value()
    except Exception:  # Prefect absent or unconfigured: the alert is still useful without a link
        base = os.environ.get("PREFECT_UI_URL")
    return f"{str(base).rstrip('/')}/runs/flow-run/{flow_run_id}" if base else None


def payload(subject: str, detail: dict) -> dict:
    clean = {key: (redact(value) if isinstance(value, str) else value) for key, value in detail.items()}
    return {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "subject": subject_line(subject), **clean}


class AlertTarget(Protocol):
    def send(self, subject: str, detail: dict) -> dict: ...


class LocalAlerts:
    """stderr + ``alerts.jsonl`` (one JSON object per line)."""

    def __init__(self, path: Path, quiet: bool = False):
        self.path = path
        self.quiet = quiet

    def send(self, subject: str, detail: dict) -> dict:
        message = payload(subject, detail)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(message, default=str) + "\n")
        if not self.quiet:
            print(f"ALERT: {message['subject']}", file=sys.stderr)
        return message


class SnsAlerts:
    """Publish to the SNS alert topic; e-mail subscribers get the subject and the JSON body."""

    def __init__(self, topic_arn: str, client):
        if not topic_arn:
            raise ValueError("the cloud runtime needs MOVIEPIPE_ALERT_TOPIC_ARN (Pulumi output alertTopicArn)")
        self.topic_arn = topic_arn
        self.client = client

    def send(self, subject: str, detail: dict) -> dict:
        message = payload(subject, detail)
        self.client.publish(TopicArn=self.topic_arn, Subject=message["subject"],
                            Message=json.dumps(message, indent=2, default=str),
                            MessageAttributes=_sns_attributes(message))
        return message


def _sns_attributes(message: dict) -> dict:
    """Filterable attributes (subscribers can e.g. take only failures)."""
    attributes = {}
    for key in ("kind", "stage", "flow", "batch_id"):
        if message.get(key):
            attributes[key] = {"DataType": "String", "StringValue": str(message[key])[:256]}
    return attributes


class WebhookAlerts:
    """POST the payload as JSON (Slack/Teams relays, PagerDuty events proxies, ...)."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url
        self.timeout = timeout

    def send(self, subject: str, detail: dict) -> dict:
        import httpx

        message = payload(subject, detail)
        # httpx puts the full URL in its errors; a Slack/Teams webhook URL is a secret, so say less.
        try:
            response = httpx.post(self.url, json=json.loads(json.dumps(message, default=str)), timeout=self.timeout)
        except httpx.HTTPError as error:
            raise RuntimeError(f"alert webhook unreachable ({type(error).__name__})") from None
        if response.is_error:
            raise RuntimeError(f"alert webhook answered HTTP {response.status_code}")
        return message


class SmtpAlerts:
    """Plain SMTP (STARTTLS when the server offers it; login from SMTP_USER/SMTP_PASSWORD if set)."""

    def __init__(self, server: str, sender: str, recipients: list[str]):
        host, _, port = server.partition(":")
        if not host or not (port or "25").isdigit():
            raise ValueError(f"MOVIEPIPE_ALERT_SMTP must be host[:port], not {server!r}")
        self.host, self.port = host, int(port or 25)
        self.sender, self.recipients = sender, recipients

    def send(self, subject: str, detail: dict) -> dict:
        message = payload(subject, detail)
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message["subject"], self.sender, ", ".join(self.recipients)
        mail.set_content(json.dumps(message, indent=2, default=str))
        with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
            if os.environ.get("SMTP_USER"):
                smtp.login(os.environ["SMTP_USER"], os.environ.get("SMTP_PASSWORD", ""))
            smtp.send_message(mail)
        return message


class FanoutAlerts:
    """The primary target must work; secondary ones are best effort (reported, never raised)."""

    def __init__(self, primary: AlertTarget, secondary: list[AlertTarget] | None = None):
        self.primary = primary
        self.secondary = list(secondary or [])

    def send(self, subject: str, detail: dict) -> dict:
        message = self.primary.send(subject, detail)
        for target in self.secondary:
            try:
                target.send(subject, detail)
            except Exception as error:  # a dead webhook must not hide the alert or the failure behind it
                print(f"moviepipe: alert target {type(target).__name__} failed: {redact(str(error))[:200]}",
                      file=sys.stderr)
        return message


def secondary_targets(settings) -> list[AlertTarget]:
    """Webhook and SMTP targets from settings (none by default)."""
    targets: list[AlertTarget] = []
    if settings.alert_webhook:
        targets.append(WebhookAlerts(settings.alert_webhook))
    if settings.alert_smtp:
        recipients = [r.strip() for r in settings.alert_smtp_to.split(",") if r.strip()]
        if not recipients:
            raise ValueError("MOVIEPIPE_ALERT_SMTP is set but MOVIEPIPE_ALERT_SMTP_TO names no recipient")
        targets.append(SmtpAlerts(settings.alert_smtp, settings.alert_smtp_from, recipients))
    return targets
