"""A tiny stand-in service for the runner's tests: /demo and /idle as CONTRACT.md shapes them.

``python contract_server.py`` prints the port it listens on (127.0.0.1, chosen by the kernel),
then serves until terminated. ``/demo?name=X`` answers one row named X, as a seeded database
would; ``/demo`` alone answers ``[]``, as a random name almost always does.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

ROW_TIME = "2024-08-20T01:00:00Z"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real servers
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)

    def do_GET(self) -> None:  # http.server's naming
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path == "/idle":
            self._json({"status": "idle"})
        elif parts.path == "/demo" and "name" in query:
            row = {"id": 1, "name": query["name"], "create_time": ROW_TIME, "update_time": ROW_TIME}
            self._json([row])
        elif parts.path == "/demo":
            self._json([])
        else:
            self._json({"error": "not_found", "detail": "No such endpoint."}, 404)

    def _json(self, document: object, status: int = 200) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: thousands of requests per second


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # users stopped mid-request reset their connections: expected, not news


def main() -> None:
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
