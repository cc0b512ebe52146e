#!/usr/bin/env python3
"""A registry that lures clients to plain HTTP (tests/integration/registry.sh). On --port it
speaks TLS and answers every /v2/ request either with a Bearer challenge whose realm is an
http:// URL, or (repositories under redirect/) with a 302 to an http:// URL; on --plain-port a
plain-HTTP listener logs every request it gets, with its Authorization header, to --log. A client
that never speaks plain HTTP leaves that log empty."""
import argparse, http.server, ssl, threading

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--plain-port", type=int, required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--log", required=True)
a = ap.parse_args()
plain = f"http://127.0.0.1:{a.plain_port}"


class Lure(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if "/redirect/" in self.path:
            self.send_response(302)
            self.send_header("Location", plain + self.path)
        else:
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'Bearer realm="{plain}/token",service="lure"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class Plain(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(a.log, "a") as f:
            f.write(f"{self.command} {self.path} authorization={self.headers.get('Authorization')}\n")
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


tls = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Lure)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(a.cert, a.key)
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
open(a.log, "w").close()
threading.Thread(target=http.server.ThreadingHTTPServer(("127.0.0.1", a.plain_port), Plain).serve_forever, daemon=True).start()
tls.serve_forever()
