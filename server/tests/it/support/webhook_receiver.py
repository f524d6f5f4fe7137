"""A webhook receiver for the integration tests: a real HTTP server that
verifies every delivery with the reference Standard Webhooks library
(`standardwebhooks` from PyPI), never with Shipwatch's own code.

Prints its port on the first line of stdout. Control, by the tests:
  POST /_control  {"secrets": [...], "answer": 200}
      every secret must verify a delivery (a rotation sends two signatures);
      "answer" is the HTTP status deliveries get from now on (a 3xx comes
      with a Location header, to show that redirects are not followed).
  GET /_received  the deliveries so far, in arrival order:
      {"id", "timestamp", "verified", "payload"}; unverified ones get 400.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

lock = threading.Lock()
state = {"secrets": [], "answer": 200, "received": []}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_GET(self):
        if self.path == "/_received":
            with lock:
                body = json.dumps(state["received"]).encode()
            self._reply(200, body, [("Content-Type", "application/json")])
        else:
            self._reply(404)

    def do_POST(self):
        body = self._body()
        if self.path == "/_control":
            with lock:
                state.update(json.loads(body))
            self._reply(204)
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        with lock:
            secrets, answer = list(state["secrets"]), state["answer"]
        verified = bool(secrets)
        payload = None
        for secret in secrets:
            try:
                payload = Webhook(secret).verify(body, headers)
            except Exception:
                verified = False
        with lock:
            state["received"].append({
                "id": headers.get("webhook-id"),
                "timestamp": headers.get("webhook-timestamp"),
                "verified": verified,
                "payload": payload,
            })
        if not verified:
            self._reply(400, b"signature did not verify")
        elif 300 <= answer < 400:
            self._reply(answer, b"", [("Location", "/elsewhere")])
        else:
            self._reply(answer, ("answered %d" % answer).encode())


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
