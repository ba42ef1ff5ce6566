"""A local stand-in for an alert webhook (Slack, Teams, PagerDuty...): `make airflow` points the
`finops_alerts` connection here and every alert a failed task sends is appended, one JSON object a
line, to a file (and printed)."""

from __future__ import annotations

import json
import threading
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
