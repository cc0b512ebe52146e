#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, as a user at a terminal would, for the run tests.

  pty_run.py [--sleep S | --send TEXT]... -- COMMAND [ARG]...

The actions happen in order after the start (TEXT takes Python escapes: '\\x03' is Ctrl-C,
'\\x04' end of input). The terminal is then read to its end, so the command never blocks on
output. Prints the terminal's output (stripped) on one line, then the command's exit status
(128+N for signal N, as a shell says) on the next.
"""
import codecs
import os
import pty
import sys
import time


def main(argv):
    if "--" not in argv:
        sys.exit("usage: pty_run.py [--sleep S | --send TEXT]... -- COMMAND [ARG]...")
    cut = argv.index("--")
    actions, command = argv[:cut], argv[cut + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(command[0], command)
    for flag, value in zip(actions[::2], actions[1::2]):
        if flag == "--sleep":
            time.sleep(float(value))
        elif flag == "--send":
            os.write(fd, codecs.decode(value, "unicode_escape").encode("latin-1"))
        else:
            sys.exit(f"pty_run.py: unknown action {flag}")
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # EIO: the terminal's last holder is gone
            break
        if not chunk:
            break
        out += chunk
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(" ".join(out.decode(errors="replace").split()))
    print(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main(sys.argv[1:])
