"""A local server speaking Twilio's REST Messages protocol, and webhook signing as Twilio does it.

Real HTTP on a free port (``http.server`` in a thread, so worker processes
reach it too): ``POST /2010-04-01/Accounts/{sid}/Messages.json``,
form-encoded, HTTP basic auth ``sid:token`` checked, a JSON answer with
``sid`` and ``status`` -- 201 when accepted, 401 (code 20003) for a wrong
login, 400 (code 21211) for a number it cannot text, 500 while ``down``.

The signature is written here from Twilio's documentation, not imported
from the service, so the test checks the service against the protocol and
not against itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-test-auth-token"
FROM = "+15005550006"


def twilio_sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + each param name+value, sorted by name))."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()).decode()


class TwilioServer:
    def __init__(self, sid: str = SID, token: str = TOKEN) -> None:
        self.sid, self.token = sid, token
        self.messages: list[dict[str, str]] = []  # accepted, in order
        self.refused: list[int] = []  # HTTP statuses of refused calls
        self.down = False
        self.unreachable_numbers: set[str] = set()
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
                expected = "Basic " + base64.b64encode(f"{server.sid}:{server.token}".encode()).decode()
                with server.lock:
                    if self.path != f"/2010-04-01/Accounts/{server.sid}/Messages.json":
                        server.refused.append(404)
                        return self.answer(404, {"code": 20404, "message": "not found", "status": 404})
                    if self.headers.get("Authorization") != expected:
                        server.refused.append(401)
                        return self.answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                        server.refused.append(415)
                        return self.answer(415, {"code": 20415, "message": "form only", "status": 415})
                    if server.down:
                        server.refused.append(500)
                        return self.answer(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                    if not form.get("To") or not form.get("Body") or not (form.get("From")
                                                                          or form.get("MessagingServiceSid")):
                        server.refused.append(400)
                        return self.answer(400, {"code": 21604, "message": "To, From and Body", "status": 400})
                    if form["To"] in server.unreachable_numbers:
                        server.refused.append(400)
                        return self.answer(400, {"code": 21211, "message": "Invalid 'To' Phone Number",
                                                 "status": 400})
                    sid = f"SM{next(server.counter):032x}"
                    server.messages.append({**form, "sid": sid})
                return self.answer(201, {"sid": sid, "status": "queued", "to": form["To"], "from": form.get("From"),
                                         "body": form["Body"], "num_segments": "1", "account_sid": server.sid})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> TwilioServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def to(self, number: str) -> list[dict[str, str]]:
        with self.lock:
            return [m for m in self.messages if m["To"] == number]
