#!/usr/bin/env python3
"""A tiny token server for distribution's `auth: token` (tests/integration/registry.sh).

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with Basic credentials answers
{"token": JWT, "access_token": JWT}: an RS256 JWT whose header carries the signing certificate
(x5c), which the registry checks against its rootcertbundle. Wrong credentials: 401. Listens on
127.0.0.1 only, over TLS. Every request is logged on stderr (the test checks the scope asked), and
the user of its Basic credentials (basic-user=NAME: the test checks whose credentials arrived).
--busy-first N answers the first N token requests 503 with Retry-After: 1.
POST /token with the OAuth2 form grant_type=refresh_token&refresh_token=T&scope=S1 S2 (docker's
identity-token flow) answers {"access_token": JWT} when T is --refresh-token; logged as
"token: grant=refresh_token scope=..."; a wrong refresh token or any other grant: 401.
"""
import argparse, base64, json, os, ssl, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
except ImportError:
    sys.exit(1)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("--port", type=int)
    ap.add_argument("--key"), ap.add_argument("--cert"), ap.add_argument("--tls-cert"), ap.add_argument("--tls-key")
    ap.add_argument("--user"), ap.add_argument("--password")
    ap.add_argument("--issuer", default="cuslim-test-issuer")
    ap.add_argument("--first-scope-only", action="store_true", help="grant the first scope asked, nothing more")
    ap.add_argument("--busy-first", type=int, default=0, help="answer the first N token requests 503 with Retry-After: 1")
    ap.add_argument("--refresh-token", default="", help="the identity token a POST refresh_token grant must carry")
    a = ap.parse_args()
    if a.selftest:
        return
    key = serialization.load_pem_private_key(open(a.key, "rb").read(), None)
    cert = x509.load_pem_x509_certificate(open(a.cert, "rb").read())
    x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    def token(service, scopes):
        access = []
        for scope in scopes:
            if not scope:
                continue
            kind, name, actions = scope.split(":", 2)
            if a.first_scope_only and access:
                continue  # --first-scope-only: nothing granted on a second repository (a mount must fall back)
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        claims = {"iss": a.issuer, "sub": a.user, "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": b64url(os.urandom(12)), "access": access}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + b64url(sig)

    busy = [a.busy_first]

    class Handler(BaseHTTPRequestHandler):
        def answer(self, code, doc):
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # the OAuth2 refresh-token grant (docker's identitytoken)
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(n).decode(errors="replace"))
            one = lambda k: form.get(k, [""])[0]
            scopes = one("scope").split(" ")
            sys.stderr.write(f"token: grant={one('grant_type')} client_id={one('client_id')} scope={one('scope')}\n")
            sys.stderr.flush()
            if (urllib.parse.urlparse(self.path).path != "/token" or one("grant_type") != "refresh_token" or not a.refresh_token
                    or one("refresh_token") != a.refresh_token):
                self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad refresh token"}]})
                return
            self.answer(200, {"access_token": token(one("service"), scopes), "refresh_token": a.refresh_token, "expires_in": 300})

        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            if busy[0] > 0:  # --busy-first: a token server under load (the client must retry)
                busy[0] -= 1
                self.send_response(503)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            q = urllib.parse.parse_qs(u.query)
            want = "Basic " + base64.b64encode(f"{a.user}:{a.password}".encode()).decode()
            got = self.headers.get("Authorization") or ""
            if got.startswith("Basic "):  # who asked (the test checks credentials never go to the wrong server)
                try:
                    sys.stderr.write("token: basic-user=" + base64.b64decode(got[6:]).decode(errors="replace").split(":", 1)[0] + "\n")
                except ValueError:
                    sys.stderr.write("token: basic-user=(not base64)\n")
                sys.stderr.flush()
            if u.path != "/token" or self.headers.get("Authorization") != want:
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
                return
            t = token(q.get("service", [""])[0], q.get("scope", []))
            body = json.dumps({"token": t, "access_token": t, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("token: " + (fmt % args) + "\n")
            sys.stderr.flush()

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.tls_cert, a.tls_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
