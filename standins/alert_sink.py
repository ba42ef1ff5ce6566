"""Local stand-ins for the alert channels, on 127.0.0.1:

* `AlertSink`, a webhook (Slack, Teams, PagerDuty...): `make airflow` and `make demo` point the
  `finops_alerts` connection here; every alert POSTed is appended, one JSON object a line, to a file
  (and echoed).
* `MailSink`, an SMTP server (aiosmtpd) for the `finops_alerts_email` connection: every message
  received is kept (`messages`: sender, recipients, subject, text) and echoed.
"""

from __future__ import annotations

import json
import logging
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class AlertSink:
    def __init__(self, path: Path, port: int = 0, echo=print):
        self.path = Path(path)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    alert = json.loads(body or b"{}")
                except ValueError:
                    alert = {"text": body.decode(errors="replace")}
                with open(sink.path, "a") as out:
                    out.write(json.dumps(alert) + "\n")
                echo(f"ALERT: {alert.get('text', alert)}")
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="alert-sink", daemon=True)

    def __enter__(self) -> AlertSink:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailSink:
    """An SMTP server without TLS or authentication that keeps what it receives."""

    def __init__(self, port: int | None = None, echo=print):
        from aiosmtpd.controller import Controller

        from standins.ports import free_port

        self.messages: list[dict] = []
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
                message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                body = message.get_body(preferencelist=("plain", "html"))
                received = {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "subject": str(message["subject"]),
                            "body": body.get_content() if body is not None else ""}
                with sink._lock:
                    sink.messages.append(received)
                echo(f"MAIL to {', '.join(received['to'])}: {received['subject']}")
                return "250 Message accepted for delivery"

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self._controller = Controller(Handler(), hostname=self.host, port=self.port)

    def connection(self, to: str = "finops-team@localhost", from_email: str = "finops-alerts@localhost") -> dict:
        """An Airflow `smtp` connection (AIRFLOW_CONN_* JSON) for this server."""
        return {"conn_type": "smtp", "host": self.host, "port": self.port,
                "extra": {"from_email": from_email, "to": to, "disable_tls": True, "disable_ssl": True,
                          "timeout": 10, "retry_limit": 0}}

    def __enter__(self) -> MailSink:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
