#!/usr/bin/env python3
"""A registry that misbehaves (tests/integration/registry_hostile.sh). Over TLS on --port it serves
the one image of the OCI layout --layout under every repository; the repository's first path
element picks how it misbehaves:
  retry/...    the manifest's and each blob's first GET answer 503 with a Retry-After of 400
               digits (past any double), then the real bytes
  endless/...  the manifest is a chunked answer that never ends
  idxtag/...   the tag names an image index whose entry's digest is the tag "1" (not a digest)
  idxsize/...  the tag names an image index whose entry gives the wrong size
Every request is logged to --log as "METHOD PATH"."""
import argparse, hashlib, http.server, json, os, socketserver, ssl, threading

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--layout", required=True)
ap.add_argument("--log", required=True)
a = ap.parse_args()

index = json.load(open(os.path.join(a.layout, "index.json")))
top = index["manifests"][0]
manifest_digest = top["digest"]


def blob(digest):
    with open(os.path.join(a.layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return f.read()


manifest = blob(manifest_digest)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def image_index(digest, size):
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": digest, "size": size, "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()


answered = set()  # (path) already answered 503 once
lock = threading.Lock()


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        with open(a.log, "a") as f:
            f.write(f"{self.command} {self.path}\n")
        if self.path == "/v2/":
            return self.send(200, b"{}", "application/json")
        parts = self.path.split("/")
        kind = parts[2] if len(parts) > 2 else ""
        if kind == "retry":
            with lock:
                first = self.path not in answered
                answered.add(self.path)
            if first:
                return self.send(503, b"", "text/plain", [("Retry-After", "9" * 400)])
        if "/manifests/" in self.path:
            ref = self.path.rsplit("/", 1)[1]
            if kind == "endless":
                self.send_response(200)
                self.send_header("Content-Type", OCI_MANIFEST)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b" " * 65536
                try:
                    while True:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except OSError:
                    return
            if kind in ("idxtag", "idxsize") and not ref.startswith("sha256:"):
                body = image_index("1" if kind == "idxtag" else manifest_digest, 5 if kind == "idxsize" else len(manifest))
                return self.send(200, body, OCI_INDEX)
            if ref.startswith("sha256:") and ref != manifest_digest:
                return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', "application/json")
            return self.send(200, manifest, OCI_MANIFEST, [("Docker-Content-Digest", manifest_digest)])
        if "/blobs/" in self.path:
            digest = self.path.rsplit("/", 1)[1]
            try:
                data = blob(digest)
            except (OSError, IndexError):
                return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}', "application/json")
            return self.send(200, data)
        return self.send(404)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", a.port), Hostile)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(a.cert, a.key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
