#!/usr/bin/env python3
"""The README and the tool agree: every `cuslim COMMAND --option` the README shows exists in
that command's --help; every long option of every --help is named in the README; every
command's help has examples and an exit line; and the README's examples that need no GPU and no
files of the reader's own (paths that exist here, no output) run as written, exit 0."""
import os, re, shlex, subprocess, sys

cuslim, readme = sys.argv[1], sys.argv[2]
text = open(readme).read()
fails = 0

def check(what, ok, detail=""):
    global fails
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))
    fails += not ok

def help_of(*cmd):
    return subprocess.run([cuslim, *cmd, "--help"], capture_output=True, text=True).stdout

main = help_of()
commands = re.findall(r"^  ([a-z][a-z-]*)\s{2,}", main.split("Subcommands:")[1], re.M)
helps = {c: help_of(c) for c in commands}
def option_lines(h):  # "  -q,--quiet   ..." / "  --format TEXT ..." lines of the Options section
    body = h.split("Options:")[1].split("Examples:")[0] if "Options:" in h else ""
    return re.findall(r"^  (?:(-[a-zA-Z]),)?(--[a-z][a-z0-9-]*)", body, re.M)
pairs = {c: [(s, l) for s, l in option_lines(h) if l != "--help"] for c, h in helps.items()}
# Every name of an option: "--driver-version,--min-driver TEXT" is both.
aliases = {c: set(re.findall(r"^  (?:-[a-zA-Z],)?(?:--[a-z][a-z0-9-]*,)*(?:--[a-z][a-z0-9-]*)", h.split("Options:")[1] if "Options:" in h else "", re.M))
           for c, h in helps.items()}
options = {c: {l for _, l in p} | {n for line in aliases[c] for n in re.findall(r"--[a-z][a-z0-9-]*", line)} for c, p in pairs.items()}
short = {c: {s for s, _ in p if s} for c, p in pairs.items()}

for c, h in helps.items():
    check(f"cuslim {c} --help has examples and an exit line", "Examples:" in h and "Exit" in h)
    missing = sorted(l for s_, l in pairs[c] if l not in text and not (s_ and re.search(rf"\[{s_}[\]| ]|`{s_}`", text)))
    check(f"every option of cuslim {c} --help is in the README", not missing, missing)

r = subprocess.run([cuslim, "foo"], capture_output=True, text=True)
check("cuslim foo: 'cuslim: unknown command 'foo'; see cuslim --help', exit 2",
      r.returncode == 2 and r.stderr.strip() == "cuslim: unknown command 'foo'; see cuslim --help", r.stderr)
r = subprocess.run([cuslim, "bundle", "/bin/true"], capture_output=True, text=True)
check("a missing option: 'cuslim: bundle: --out is required; see cuslim bundle --help', exit 2",
      r.returncode == 2 and r.stderr.strip() == "cuslim: bundle: --out is required; see cuslim bundle --help", r.stderr)
r = subprocess.run([cuslim, "deps"], capture_output=True, text=True)
check("a missing positional is named as the user sees it: 'cuslim: deps: missing TARGETS (...)', exit 2",
      r.returncode == 2 and r.stderr.startswith("cuslim: deps: missing TARGETS (") and "is required" not in r.stderr, r.stderr)
check("bundle --help says --base takes an image", re.search(r"--base.*\n?.*or an image", helps["bundle"]) is not None)
man = os.path.join(os.path.dirname(os.path.abspath(cuslim)), "cuslim.1")
if os.path.exists(man):
    page = open(man).read()
    check("the man page (built from --help) has a section per command", all(f'.SS "cuslim {c}"' in page for c in commands))
    status = page.split(".SH EXIT STATUS", 1)[-1]
    check("the man page: examples under EXAMPLES, only the exit codes and error form under EXIT STATUS",
          ".SH EXAMPLES" in page and "cuslim deps" in page.split(".SH EXAMPLES", 1)[-1].split(".SH", 1)[0]
          and "Exit codes:" in status and "cuslim deps ./train" not in status, status[:200])

# Every command line in the README's code blocks: the command exists, its options exist.
lines = []
for block in re.findall(r"```(?:sh)?\n(.*?)```", text, re.S):
    joined = block.replace("\\\n", " ")
    for raw in joined.splitlines():
        for part in re.split(r"\|\||&&|\||;|\$\(", raw.split(" # ")[0]):
            part = part.strip()
            if part.startswith("cuslim "):
                lines.append(part)
check("the README shows cuslim commands", len(lines) > 30, len(lines))
for line in lines:
    try:
        words = shlex.split(line.replace("[", " ").replace("]", " ").replace("|", " "))
    except ValueError:
        words = line.split()
    c = words[1] if len(words) > 1 else ""
    if c not in helps:
        check(f"README: '{line[:60]}' names a command", False, c)
        continue
    bad = [w.split("=")[0] for w in words[2:] if w.startswith("--") and w != "--" and w.split("=")[0] not in options[c]]
    bad += [w for w in words[2:] if re.fullmatch(r"-[a-zA-Z]", w) and w not in short[c] and w != "-o"]
    if w := [b for b in bad if b not in ("-vv",)]:
        check(f"README: options of '{line[:70]}' exist", False, w)
        continue

# Run the examples that need nothing of the reader's: existing absolute paths, no -o, no GPU.
ran = 0
for line in lines:
    words = shlex.split(line) if "$" not in line else None
    if not words or words[1] not in ("deps", "inspect", "profiles") or "-o" in words or ">" in line or "--gpu" in line or "[" in line:
        continue
    paths = [w for w in words[2:] if w.startswith("/") or w.startswith("./") or w.endswith((".so.13", ".so.12", ".yaml", ".so.1"))]
    if any(not os.path.exists(p) for p in paths) or (words[1] == "deps" and not paths):
        continue
    r = subprocess.run(words[1:] and [cuslim, *words[1:]], capture_output=True, text=True)
    ran += 1
    check(f"README example runs as written: {line[:80]}", r.returncode == 0, r.stderr.strip()[-300:])
check("some README examples ran", ran >= 3, ran)

# The README as a walkthrough: in a scratch dir with stand-ins for the reader's programs (./app,
# ./train, ./infer, ./tool: a small C program), every example of bundle, slim, verify and report
# whose inputs exist by then runs as written, in the README's order (so `bundle ./app -o app-oci`
# makes what `verify app-oci` reads) and exits 0. Skipped: registries, GPUs, probes, the reader's
# own images (torch-oci, fat-oci), files of theirs (/venv, /opt/app).
import shutil, tempfile
work = tempfile.mkdtemp(prefix="cuslim-readme-", dir="/var/tmp")
try:
    with open(os.path.join(work, "hello.c"), "w") as f:
        f.write('#include <stdio.h>\nint main(void){puts("hello");return 0;}\n')
    built = subprocess.run(["cc", "-o", os.path.join(work, "app"), os.path.join(work, "hello.c")], capture_output=True).returncode == 0
    for name in ("train", "infer", "tool"):
        if built:
            shutil.copy(os.path.join(work, "app"), os.path.join(work, name))
    walked, skipped = 0, 0
    for line in lines:
        words = shlex.split(line) if "$" not in line and "[" not in line and "..." not in line else None
        if not built or not words or words[1] not in ("bundle", "slim", "verify", "report", "build"):
            continue
        no_compat = not any(os.path.isdir(d) for d in ["/usr/local/cuda/compat"] + [f"/usr/local/{e}/compat" for e in os.listdir("/usr/local") if e.startswith("cuda-")])
        if any(w.startswith(("docker://", "oci-archive:", "oci:")) or w in ("--gpu", "--probe") or re.fullmatch(r"[A-Z][A-Z.]+", w) for w in words) \
                or ("--forward-compat" in words and no_compat):
            skipped += 1
            continue
        outs = {words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-o", "--out", "--report", "--digestfile", "--junit")}
        ins = [w for w in words[2:] if not w.startswith("-") and w not in outs and ("/" in w or w.endswith(("-oci", ".tar", ".yaml")))]
        if any(not os.path.exists(os.path.join(work, i) if not i.startswith("/") else i) for i in ins):
            skipped += 1
            continue
        r = subprocess.run([cuslim, *words[1:]], cwd=work, capture_output=True, text=True, timeout=600)
        walked += 1
        ok = r.returncode == 0 and all(os.path.exists(os.path.join(work, o)) for o in outs)
        check(f"README walkthrough: {line[:90]}", ok, f"exit {r.returncode}: {r.stderr.strip()[-300:]}")
    check(f"the walkthrough ran README examples of bundle, slim, verify and report ({walked} ran, {skipped} skipped)", walked >= 8, walked)
finally:
    shutil.rmtree(work, ignore_errors=True)
print(f"{fails} failed")
sys.exit(1 if fails else 0)
