"""Alert targets fail with messages that name the problem and never carry a secret."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moviepipe.alerts import FanoutAlerts, SmtpAlerts, WebhookAlerts

SECRET_PATH = "/services/T000/B000/XXXXSECRETXXXX"


class Refusing(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        self.send_response(403)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def refusing_webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}{SECRET_PATH}"
    server.shutdown()


class Recording:
    def __init__(self):
        self.sent = []

    def send(self, subject, detail):
        self.sent.append(subject)
        return {"subject": subject}


def test_a_failing_webhook_never_prints_its_secret_url(refusing_webhook, capsys):
    with pytest.raises(RuntimeError, match="HTTP 403") as error:
        WebhookAlerts(refusing_webhook).send("moviepipe run failed", {"batch_id": "b1"})
    assert "SECRET" not in str(error.value)

    primary = Recording()
    FanoutAlerts(primary, [WebhookAlerts(refusing_webhook)]).send("moviepipe run failed", {})
    assert primary.sent == ["moviepipe run failed"], "a dead webhook does not hide the alert"
    assert "SECRET" not in capsys.readouterr().err


def test_an_unreachable_webhook_says_so_without_its_url():
    with pytest.raises(RuntimeError, match="unreachable") as error:
        WebhookAlerts("http://127.0.0.1:9" + SECRET_PATH, timeout=2).send("s", {})
    assert "SECRET" not in str(error.value)


@pytest.mark.parametrize("server", ["mail.example.org:smtp", ":25", "host:25x"])
def test_a_bad_smtp_setting_is_named(server):
    with pytest.raises(ValueError, match="MOVIEPIPE_ALERT_SMTP must be host"):
        SmtpAlerts(server, "moviepipe@example.org", ["ops@example.org"])
