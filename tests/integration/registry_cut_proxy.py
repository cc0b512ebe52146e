#!/usr/bin/env python3
"""A TCP relay on 127.0.0.1 that dies mid-upload (tests/integration/registry.sh): it forwards
connections to the registry byte for byte (TLS passes through) and, once more than --cut bytes
went from clients to the registry in all, closes every connection and stops accepting."""
import argparse, socket, sys, threading

ap = argparse.ArgumentParser()
ap.add_argument("--listen", type=int, required=True)
ap.add_argument("--to", type=int, required=True)
ap.add_argument("--cut", type=int, default=1 << 20)
a = ap.parse_args()
sent = 0
lock = threading.Lock()
dead = threading.Event()
socks = []


def pump(src, dst, upstream):
    global sent
    try:
        while not dead.is_set():
            b = src.recv(65536)
            if not b:
                break
            if upstream:
                with lock:
                    sent += len(b)
                    if sent > a.cut:
                        dead.set()
                        break
            dst.sendall(b)
    except OSError:
        pass
    if dead.is_set():
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", a.listen))
srv.listen(16)
srv.settimeout(0.2)
print("listening", flush=True)
while not dead.is_set():
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    u = socket.create_connection(("127.0.0.1", a.to))
    socks += [c, u]
    threading.Thread(target=pump, args=(c, u, True), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, False), daemon=True).start()
srv.close()
print(f"cut after {sent} bytes", file=sys.stderr, flush=True)
