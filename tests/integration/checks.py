"""The ok/FAIL lines of the Python integration tests, and their count (check_lib.sh's check, for Python)."""

_fails = 0


def check(what, ok, detail=""):
    global _fails
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f"  [{detail}]"))
    _fails += 0 if ok else 1
    return ok


def finish():
    """Prints the count; the exit status for sys.exit."""
    print(f"{_fails} failed")
    return 1 if _fails else 0
