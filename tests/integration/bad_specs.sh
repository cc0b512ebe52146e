#!/usr/bin/env bash
# Spec and profile files through the real CLI: a bad key, type, regex or value is exit 3 with
# FILE:LINE:COL, the key and the allowed values, and nothing is written; a spec without out:
# is an error unless -o gives it; a valid user profile and the built-in ones still load; a
# mistyped command-line option is named with the option it likely meant.
set -u
cuslim=$(realpath "$1")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
cd "$tmp" || exit 1

# A spec with a bad format: exit 3, file:line:col and the allowed values, nothing written.
cat > bad.yaml <<'YAML'
name: x
targets: [/bin/true]
format: qcow2
out: out/x
YAML
"$cuslim" build bad.yaml > stdout 2> err; rc=$?
check "build with format: qcow2 exits 3" '[ $rc = 3 ]'
check "the error names file:line:col, the key and the allowed formats" \
  'grep -qF "cuslim: bad.yaml:3:9: format: '"'"'qcow2'"'"' is not allowed (allowed: dir, tar, tar.gz, tar.zst, oci, oci-archive, docker-archive)" err'
check "nothing is written" '[ ! -e out ] && [ "$(ls)" = "$(printf "bad.yaml\nerr\nstdout")" ]'

# Unknown key, env without '='.
printf 'name: x\ntargets: [/bin/true]\nouput: out/x\n' > typo.yaml
"$cuslim" build typo.yaml 2> err; rc=$?
check "an unknown spec key exits 3 with the closest key" '[ $rc = 3 ] && grep -qF "typo.yaml:3:1: ouput: unknown key, did you mean '"'"'out'"'"'?" err'
printf 'name: x\ntargets: [/bin/true]\nout: out/x\nenv: [FOO]\n' > env.yaml
"$cuslim" build env.yaml 2> err; rc=$?
check "env: [FOO] exits 3" '[ $rc = 3 ] && grep -qF "env.yaml:4:7: env[0]: '"'"'FOO'"'"' is not K=V" err'
check "still nothing written" '[ ! -e out ]'
printf 'name: x\ntargets: [/bin/true]\nout: out/x\ngpu_arch: 1x\n' > arch.yaml
"$cuslim" build arch.yaml 2> err; rc=$?
check "gpu_arch: 1x is the spec's error (exit 3, file:line:col), not a flag's ($(cat err))" \
  '[ $rc = 3 ] && grep -qF "arch.yaml:4:11: gpu_arch: '"'"'1x'"'"': not a list of compute capabilities (expected compute capabilities such as 90 or 80,90)" err'
# --compression that a rootfs output cannot honour is refused, not ignored (a .tar.gz is gzip).
# --base names a base profile or an image: an unknown name lists the bases (not every profile), a
# rootfs tar is said to be one.
"$cuslim" bundle -q /bin/true --base ubuntu99 -o cz/b 2> err; rc=$?
check "--base ubuntu99: exit 2 listing the base profiles only ($(cat err))" \
  '[ $rc = 2 ] && grep -q "neither a base profile (.*debian12.*) nor an image" err && ! grep -q "pytorch" err && [ ! -e cz/b ]'
mkdir -p cz
"$cuslim" bundle -q /bin/true -o cz/r.tar --format tar
"$cuslim" bundle -q /bin/true --base cz/r.tar -o cz/b 2> err; rc=$?
check "--base a rootfs tar: exit 2, said to be a rootfs tar ($(cat err))" '[ $rc = 2 ] && grep -q "cz/r.tar: a rootfs tar has no layers" err'
"$cuslim" bundle -q /bin/true -o cz/c.tar.gz --compression zstd 2> err; rc=$?
check "--compression zstd with a .tar.gz output: exit 2, said ($(cat err))" '[ $rc = 2 ] && grep -q "a tar.gz output is compressed as its format says" err && [ ! -e cz/c.tar.gz ]'
"$cuslim" bundle -q /bin/true -o cz/c.tar --format tar --compression gzip 2> err; rc=$?
check "--compression gzip with --format tar: exit 2" '[ $rc = 2 ] && grep -q "a tar output is compressed as its format says" err'
"$cuslim" bundle -q /bin/true -o cz/c.tar.zst --compression zstd 2> err; rc=$?
check "--compression zstd with a .tar.zst output: agrees, written ($(cat err))" '[ $rc = 0 ] && [ -s cz/c.tar.zst ]'
# An output whose name says one format and --format another is refused (a .tar.zst of gzip
# bytes); a plain .tar holds any tar format (oci-archive, docker-archive).
for args in "-o cz/f1.tar.zst --format tar.gz" "-o cz/f2.docker.tar --format oci" "-o cz/f3.tar.gz --format dir" "-o cz/f4.oci.tar --format docker-archive"; do
  eval "\"\$cuslim\" bundle -q /bin/true $args" 2> err; rc=$?
  check "bundle $args: exit 2, the name and --format disagree ($(cat err))" '[ $rc = 2 ] && grep -q "its name says .*, --format says" err && [ -z "$(ls cz | grep "^f[0-9]")" ]'
done
"$cuslim" bundle -q /bin/true -o cz/f5.tar --format docker-archive 2> err; rc=$?
check "a plain .tar with --format docker-archive: written ($rc: $(cat err))" '[ $rc = 0 ] && tar -xOf cz/f5.tar manifest.json | grep -q Layers'
# An empty value ('' from an unset $VAR) is a usage error naming the option; it was read as not
# given (--tag, --entrypoint, -j) or as "/" (--include, a target). A command's own '' is its own.
for args in "bundle /bin/true --tag '' -o cz/e1" "bundle /bin/true --entrypoint '' -o cz/e2.tar" "bundle /bin/true -j '' -o cz/e3.tar" \
            "bundle /bin/true --include '' -o cz/e4.tar" "bundle '' -o cz/e5.tar" "slim cz/c.tar.zst --target '' -o cz/e6" "deps ''" "verify ''"; do
  eval "\"\$cuslim\" $args" > /dev/null 2> err; rc=$?
  check "$args: exit 2, an empty value ($(cat err))" '[ $rc = 2 ] && grep -q ": an empty value; see cuslim" err && [ -z "$(ls cz | grep "^e[0-9]")" ]'
done
"$cuslim" run --gpu off cz/c.tar.zst -- /bin/true '' > /dev/null 2> err; rc=$?
check "run IMAGE -- PROGRAM '': the program's argument, not refused ($rc: $(cat err))" '[ $rc = 0 ]'
# An index of 60 images named without a tag: the error lists 20 and counts the rest.
"$cuslim" bundle -q /bin/true -o cz/many --tag t0
python3 -c "
import json, sys; p = sys.argv[1] + '/index.json'; i = json.load(open(p)); e = i['manifests'][0]
i['manifests'] = [dict(e, annotations={'org.opencontainers.image.ref.name': 't%d' % k}) for k in range(60)]; json.dump(i, open(p, 'w'))" cz/many
"$cuslim" verify cz/many > /dev/null 2> err; rc=$?
check "verify of a 60-image layout without a tag: exit 2, 20 tags and '... and 40 more' ($(head -c 120 err))" \
  '[ $rc = 2 ] && grep -q "t19, ... and 40 more" err && ! grep -q "t20" err'
# A tag a rootfs output cannot hold is refused, not dropped; a spec's name (its default tag) is not one.
"$cuslim" bundle -q /bin/true -o cz/t.tar --tag app:1 2> err; rc=$?
check "--tag with a tar output: exit 2, said, nothing written ($(cat err))" '[ $rc = 2 ] && grep -q "a tar output holds no tag" err && [ ! -e cz/t.tar ]'
"$cuslim" slim -q cz/c.tar.zst -o cz/s-dir --format dir --tag s 2> err; rc=$?
check "slim --tag with a dir output: exit 2, said ($(cat err))" '[ $rc = 2 ] && grep -q "a dir output holds no tag" err && [ ! -e cz/s-dir ]'
printf 'name: tagless\ntargets: [/bin/true]\nout: cz/spec.tar\n' > tagless.yaml
"$cuslim" build -q tagless.yaml 2> err; rc=$?
check "a spec without tag: writes a tar (its name tags image outputs only) ($(cat err))" '[ $rc = 0 ] && tar -tf cz/spec.tar | grep -q "bin/true"'
printf 'name: tagged\ntargets: [/bin/true]\nout: cz/tagged.tar\ntag: v1\n' > tagged.yaml
"$cuslim" build -q tagged.yaml 2> err; rc=$?
check "a spec with tag: and a tar out: exit 3 at the spec's tag:, said ($(cat err))" '[ $rc = 3 ] && grep -q "tagged.yaml:4:6: tag: .*holds no tag" err && [ ! -e cz/tagged.tar ]'
"$cuslim" build -q tagged.yaml -o cz/tagged-o.tar.zst 2> err; rc=$?
check "... but -o a rootfs on the command line: written, -o chose (the spec's tag has nowhere to go) ($(cat err))" '[ $rc = 0 ] && [ -s cz/tagged-o.tar.zst ]'
printf 'name: x\ntargets: [/bin/true]\nout: out/x\nprune_nvidia: false\n' > prune.yaml
"$cuslim" build prune.yaml 2> err; rc=$?
check "prune_nvidia without gpu_arch is the spec's error, as --no-prune-nvidia without --gpu-arch is the flag's ($(cat err))" \
  '[ $rc = 3 ] && grep -qF "prune.yaml:4:15: prune_nvidia needs gpu_arch" err && [ ! -e out/x ]'
printf 'name: x\ntargets: [/bin/true]\nout: out/x\nbase: nonexist-base\n' > base.yaml
"$cuslim" build base.yaml 2> err; rc=$?
check "base: nonexist-base is the spec error (exit 3, file:line:col, the known profiles) ($(cat err))" \
  '[ $rc = 3 ] && grep -qF "base.yaml:4:7: base: '"'"'nonexist-base'"'"': neither a built-in base profile (" err && grep -q "debian12" err'
printf 'name: x\ntargets: [/bin/true]\nout: out/x\nbase: cuda\n' > base2.yaml
"$cuslim" build base2.yaml 2> err; rc=$?
check "base: cuda (a profile, not a base) is the spec error (exit 3, file:line:col) ($(cat err))" \
  '[ $rc = 3 ] && grep -qF "base2.yaml:4:7: base: '"'"'cuda'"'"': the profile '"'"'cuda'"'"' is not a base profile (bases: " err && [ ! -e out ]'
for v in '""' "'Bad Tag!'"; do
  printf 'name: %s\ntargets: [/bin/true]\nout: out/x\n' "$v" > name.yaml
  "$cuslim" build name.yaml 2> err; rc=$?
  check "name: $v is the spec's error (exit 3, file:line:col), not a flag's ($(cat err))" '[ $rc = 3 ] && grep -q "name.yaml:1:7: name: .*(expected an image name" err && [ ! -e out ]'
done
# A NUL byte (YAML's "\0") in any string is the spec's error: it cut paths short and wrote an
# Env the image readers refuse.
for kv in 'env: ["A=\0"]' 'targets: ["/bin/true\0zz"]' 'entrypoint: "/bin/true\0/x"' 'include: ["/etc/hostname\0zz"]'; do
  printf 'name: x\nout: out/nul\n%s\n' "$kv" > nul.yaml
  [ "${kv%%:*}" = targets ] || printf 'targets: [/bin/true]\n' >> nul.yaml
  "$cuslim" build -q nul.yaml 2> err; rc=$?
  check "spec $kv: exit 3 at nul.yaml:3, a NUL byte, nothing written ($(cat err))" '[ $rc = 3 ] && grep -q "nul.yaml:3:.*holds a NUL byte" err && [ ! -e out/nul ]'
done
printf 'name: x\ntargets: [/bin/true]\nout: oci:cz/twotags:2\ntag: "3"\n' > twotags.yaml
"$cuslim" build twotags.yaml 2> err; rc=$?
check "a spec whose out: names tag 2 and whose tag: says 3: the spec's error, exit 3 at its tag: ($(cat err))" \
  '[ $rc = 3 ] && grep -q "twotags.yaml:4:6: tag: .3., and the spec.s out: oci:cz/twotags:2 names the tag .2." err && [ ! -e cz/twotags ]'
"$cuslim" build twotags.yaml -o oci:cz/twotags:4 2> err; rc=$?
check "... with -o naming tag 4: the command line against the spec, exit 2 ($(cat err))" '[ $rc = 2 ] && grep -q "names the tag .4. and twotags.yaml says .3." err'
printf 'name: x\ntag: "a b"\ntargets: [/bin/true]\nout: out/x\n' > tag.yaml
"$cuslim" build tag.yaml 2> err; rc=$?
check "tag: 'a b' is the spec's error (exit 3, file:line:col) ($(cat err))" '[ $rc = 3 ] && grep -q "tag.yaml:2:6: tag: .*not a valid tag" err'
printf 'name: x\ntargets: []\nout: out/x\n' > empty.yaml
"$cuslim" build empty.yaml 2> err; rc=$?
check "targets: [] with no include: exit 3 naming the spec ($(cat err))" '[ $rc = 3 ] && grep -qF "empty.yaml: targets and include are both empty: nothing to pack" err'
"$cuslim" build no-such.yaml 2> err; rc=$?
check "a missing spec: exit 3 (unreadable spec, as the help says) ($(cat err))" '[ $rc = 3 ] && grep -qF "no-such.yaml: No such file or directory" err'
printf 'name: x\ntargets: [/bin/true]\nout: out/x\nmin_driver: 575.51.x\n' > drv.yaml
"$cuslim" build drv.yaml 2> err; rc=$?
check "min_driver: 575.51.x is the spec's error (exit 3, file:line:col) ($(cat err))" \
  '[ $rc = 3 ] && grep -qF "drv.yaml:4:13: min_driver: '"'"'575.51.x'"'"': not a driver version" err'
check "still nothing written" '[ ! -e out ]'

# No out: an error naming the file, unless -o gives it.
printf 'name: x\ntargets: [/bin/true]\nformat: dir\n' > noout.yaml
"$cuslim" build noout.yaml 2> err; rc=$?
check "build without out: exits 3 naming the file" '[ $rc = 3 ] && grep -qF "cuslim: noout.yaml: out: required" err'
check "no out/x invented" '[ ! -e out ]'
"$cuslim" build -q noout.yaml -o "$tmp/given" 2> err; rc=$?
check "build without out: but with -o writes there" '[ $rc = 0 ] && [ -x "$tmp/given/bin/true" -o -x "$tmp/given/usr/bin/true" ]' || cat err

# The CLI's own flags: usage errors (exit 2) named as flags.
"$cuslim" bundle /bin/true -o "$tmp/b" --format qcow2 2> err; rc=$?
check "bundle --format qcow2 exits 2 as the flag" '[ $rc = 2 ] && grep -qF -- "--format '"'"'qcow2'"'"'" err'
"$cuslim" bundle /bin/true -o "$tmp/b" --env FOO 2> err; rc=$?
check "bundle --env FOO exits 2, in the usage form: command, why, where to look ($(cat err))" \
  '[ $rc = 2 ] && grep -q "^cuslim: bundle: --env '"'"'FOO'"'"': expected K=V.*; see cuslim bundle --help$" err'
"$cuslim" inspect /bin/true --gpu-arch 1x 2> err; rc=$?
check "inspect --gpu-arch 1x: exit 2 in the usage form ($(cat err))" '[ $rc = 2 ] && grep -q "^cuslim: inspect: --gpu-arch.*1x.*; see cuslim inspect --help$" err'
for a in 999 91 ""; do
  "$cuslim" bundle -q /bin/true -o "$tmp/ga" --gpu-arch "$a" 2> err; rc=$?
  check "--gpu-arch '$a': exit 2 before any work ($(cat err))" '[ $rc = 2 ] && [ ! -e "$tmp/ga" ] && grep -q "gpu-arch" err'
done
"$cuslim" bundle -q /bin/true -o "$tmp/ga" --gpu-arch 900 2> err; rc=$?
check "--gpu-arch 900 (a typo of 90) names the known ones" '[ $rc = 2 ] && grep -q "900 is not a known compute capability (known: .*90, 100" err'
"$cuslim" deps --threads x /bin/true 2> err; rc=$?
check "deps --threads x: exit 2, the option and the value named ($(cat err))" '[ $rc = 2 ] && grep -qF "cuslim: deps: --threads '"'"'x'"'"': not a valid value; see cuslim deps --help" err'
check "bundle wrote nothing" '[ ! -e "$tmp/b" ]'

# User profiles: the same schema.
printf 'name: mine\nkind: base\nclasify:\n  - {class: app, names: [true]}\n' > badprof.yaml
"$cuslim" deps --profile badprof.yaml /bin/true > /dev/null 2> err; rc=$?
check "deps --profile with an unknown key exits 3" '[ $rc = 3 ]'
check "... naming file:line:col and the closest key" 'grep -qF "badprof.yaml:3:1: clasify: unknown key, did you mean '"'"'classify'"'"'?" err'
printf 'name: mine\nclassify:\n  - {class: app, regex: "(["}\n' > badre.yaml
"$cuslim" deps --profile badre.yaml /bin/true > /dev/null 2> err; rc=$?
check "deps --profile with a bad regex exits 3" '[ $rc = 3 ] && grep -qF "badre.yaml:3:25: classify[0].regex:" err'
printf 'name: mine\nkind: base\nextends: [glibc]\nclassify:\n  - {class: app, rule: mine, names: [true]}\n' > good.yaml
"$cuslim" deps --profile good.yaml --base mine /bin/true > out.tree 2> err; rc=$?
check "a valid user profile loads" '[ $rc = 0 ]' || cat err

# The built-in profiles: all listed, each shown.
"$cuslim" profiles list > list; rc=$?
check "profiles list exits 0" '[ $rc = 0 ] && grep -q nvidia-driver list && grep -q pytorch list'
for p in cuda nvidia-driver glibc debian12 pytorch scratch; do
  "$cuslim" profiles show "$p" > /dev/null 2>&1; rc=$?
  check "profiles show $p" '[ $rc = 0 ]'
done

# A mistyped option on the command line is named (with the option it likely meant), not hidden
# behind what its absence causes ("--out is required"); nothing is written.
"$cuslim" bundle /bin/true --ouput typo-out > stdout 2> err; rc=$?
check "bundle --ouput: exit 2 naming the typo and --out ($(head -1 err))" \
  '[ $rc = 2 ] && grep -qF "cuslim: bundle: unknown option --ouput (did you mean --out?)" err && [ ! -e typo-out ]'
"$cuslim" deps /bin/true --formt=json > stdout 2> err; rc=$?
check "deps --formt=json: exit 2 naming --format" '[ $rc = 2 ] && grep -qF "unknown option --formt (did you mean --format?)" err'
"$cuslim" slim img --gpu-arch > stdout 2> err; rc=$?
check "slim --gpu-arch without a value: exit 2 saying it needs one ($(head -1 err))" '[ $rc = 2 ] && grep -qF "cuslim: slim: --gpu-arch: needs a value" err'
"$cuslim" bundle /bin/true -o twice.tar --gpu-arch 90 --gpu-arch 80 > stdout 2> err; rc=$?
check "bundle --gpu-arch given twice: exit 2 saying so ($(head -1 err))" '[ $rc = 2 ] && grep -qF "cuslim: bundle: --gpu-arch: given 2 times; give it once" err && [ ! -e twice.tar ]'
"$cuslim" deps -vv --max-depth=1 /bin/true > stdout 2> err; rc=$?
check "known options in every spelling (-vv, --max-depth=1) are not called unknown" '[ $rc = 0 ] && [ ! -s err ]'

# Arguments out of their set: exit 2 naming the option.
for args in "slim img --keep  -o o" "slim img --keep [ -o o" "deps -j -3 /bin/true" "profiles show glibc cuda" "profiles list extra"; do
  set -f; "$cuslim" $args > /dev/null 2> err; rc=$?; set +f
  check "cuslim $args: exit 2 with a reason ($(head -c 120 err))" '[ $rc = 2 ] && [ -s err ]'
done
"$cuslim" slim img --keep "" -o o 2> err; rc=$?
check "slim --keep with an empty glob: exit 2" '[ $rc = 2 ] && grep -q "an empty glob keeps nothing" err'
# A good spec: build's summary is headed build; a base profile is named as such in it.
printf 'name: ok\ntargets: [/usr/bin/ssh]\nbase: debian12\nout: out/ok\n' > ok.yaml
"$cuslim" build ok.yaml > ok.out 2> err; rc=$?
check "build: the summary says build, and what the base profile holds ($(grep left ok.out))" '[ $rc = 0 ] && head -1 ok.out | grep -q "^build out/ok (oci): " && grep -q "files\? left to the base (profile debian12)" ok.out'
# Two --profile files of one name: the second is refused (the last one would win in silence).
printf 'name: dup\n' > dup1.yaml; cp dup1.yaml dup2.yaml
"$cuslim" profiles --profile dup1.yaml --profile dup2.yaml list > /dev/null 2> err; rc=$?
check "two --profile files named dup: exit 3 naming both ($(cat err))" '[ $rc = 3 ] && grep -qF "dup2.yaml: profile '"'"'dup'"'"' is given by dup1.yaml too" err'
"$cuslim" profiles list --json > list.json; rc=$?
check "profiles list --json: a JSON list of name, kind, description, file" \
  '[ $rc = 0 ] && python3 -c "import json,sys; l=json.load(open(sys.argv[1])); assert any(p[\"name\"]==\"glibc\" and p[\"kind\"]==\"base\" for p in l), l" list.json'
# gpu_arch as a YAML list is the flag's comma list: built, the label says what the image runs.
printf 'name: arch\ntargets: [/bin/true]\nout: out/arch.tar\nformat: tar\ngpu_arch: [80, sm_90]\n' > archlist.yaml
"$cuslim" build archlist.yaml > arch.out 2> err; rc=$?
check "gpu_arch: [80, sm_90] builds as --gpu-arch 80,sm_90 would ($(cat err))" '[ $rc = 0 ] && [ -s out/arch.tar ] && tar -tf out/arch.tar | grep -q "bin/true"'
# Names and tags far past any registry limit are refused (the grammar check once overflowed the
# stack on them: exit 139), in a spec (exit 3, file:line:col) and as flags (exit 2).
python3 -c "print('name: ' + 'a' * 50000 + '\\ntargets: [/bin/true]\\nout: out/long.tar\\nformat: tar')" > long.yaml
"$cuslim" build long.yaml > /dev/null 2> err; rc=$?
check "a 50000-character name in a spec: exit 3 naming long.yaml:1:7 (exit $rc)" '[ $rc = 3 ] && grep -q "^cuslim: long.yaml:1:7: name" err && [ ! -e out/long.tar ]'
long=$(python3 -c "print('a.' * 10000 + 'a')")
"$cuslim" bundle -q /bin/true -o out/long-oci --format oci --tag "$long" 2> err; rc=$?
check "a 20001-character --tag: exit 2, no crash (exit $rc)" '[ $rc = 2 ] && grep -q "at most 1024" err && [ ! -e out/long-oci ]'
for ref in "docker-archive:out/long.tar:x/${long//./a}" "docker://h/${long//./a}" "docker://h/a:${long//./a}" "docker://${long}/x"; do
  "$cuslim" bundle -q /bin/true -o "$ref" 2> /dev/null; rc=$?
  check "a 20001-character reference (${ref:0:20}...) as -o: exit 2 (exit $rc)" '[ $rc = 2 ]'
done
# A spec's paths and out/format: the error names the spec and its key, not the flag bundle has
# for it; nothing is written.
spec_error() {  # NAME LINES EXPECTED-RC EXPECTED-TEXT
  printf 'name: x\n%b\n' "$2" > "$1.yaml"
  "$cuslim" build -q "$1.yaml" 2> err; rc=$?
  want_rc=$3 want="$1.yaml: $4" out_path=out-$1
  check "spec $1: exit $3 naming $1.yaml and its key ($(head -c 160 err))" '[ $rc = $want_rc ] && grep -qF -- "$want" err && ! grep -qE -- "--(format|include|root|trace|target)" err && [ ! -e $out_path ]'
}
spec_error root 'root: /nonexistent-root\ntargets: [/bin/true]\nout: out-root' 3 "root: /nonexistent-root: No such file or directory"
spec_error target 'targets: [/nonexistent/prog]\nout: out-target' 3 "targets: /nonexistent/prog: not found"
spec_error include 'targets: [/bin/true]\ninclude: [/nonexistent]\nout: out-include' 3 "include: /nonexistent: not found"
spec_error trace 'targets: [/bin/true]\ntrace: [/nonexistent.trace]\nout: out-trace' 3 "trace: /nonexistent.trace: No such file or directory"
spec_error relative 'targets: [./nosuch]\nout: out-relative' 3 "targets: $tmp/nosuch: not found"
spec_error dirtarget 'targets: [/etc]\nout: out-dirtarget' 3 "targets: /etc: a directory, not a program"
spec_error tracedir 'targets: [/bin/true]\ntrace: [/etc]\nout: out-tracedir' 3 "trace: /etc: a directory, not a trace file"
printf 'name: x\ntargets: [/bin/true]\nout: oci:out-format\nformat: tar\n' > format.yaml
"$cuslim" build -q format.yaml 2> err; rc=$?
check "spec format: exit 3 at out's FILE:LINE:COL, no flag named ($(head -c 160 err))" \
  '[ $rc = 3 ] && grep -qF "format.yaml:3:6: out: oci:out-format: '"'"'oci:'"'"' writes oci, its format: says tar" err && ! grep -qE -- "--format" err && [ ! -e out-format ]'
ln -s /nonexistent-target dangling
printf 'name: x\ntargets: [/bin/true]\ninclude: [%s/dangling]\nout: out-dangling.tar\n' "$tmp" > dangling.yaml
"$cuslim" build -q dangling.yaml 2> err; rc=$?
check "spec include of a dangling link: kept as the link (exit $rc)" '[ $rc = 0 ] && tar -tvf out-dangling.tar | grep -q "dangling -> /nonexistent-target"' || cat err
# Values the schema refuses at FILE:LINE:COL, nothing written: an empty path (an unset variable in a
# templated spec; an empty entrypoint made an image that cannot start), a quoted "false" where a
# boolean goes, a YAML tag read as its text (!!binary), a merge key (<<) read as an unknown key.
schema_error() {  # NAME LINES EXPECTED-TEXT
  local name=$1 want="$1.yaml:$3"
  printf 'name: x\n%b\n' "$2" > "$name.yaml"
  "$cuslim" build -q "$name.yaml" 2> err; rc=$?
  check "spec $name: exit 3 at $name.yaml:LINE:COL ($(head -c 200 err))" '[ $rc = 3 ] && grep -qF -- "$want" err && [ ! -e out-$name ]'
}
schema_error empty 'targets: [""]\nout: out-empty' "2:11: targets[0]: '': empty (expected a path)"
schema_error emptyentry 'targets: [/bin/true]\nentrypoint: ""\nout: out-emptyentry' "3:13: entrypoint: '': empty (expected a path)"
schema_error emptyout 'targets: [/bin/true]\nout: ""' "3:6: out: '': empty (expected a path)"
schema_error quotedbool 'targets: [/bin/true]\njit: "false"\nout: out-quotedbool' "3:6: jit: 'false' is quoted: write true or false without quotes"
schema_error binary 'targets: [/bin/true]\ntag: !!binary YQ==\nout: out-binary' "3:6: tag: the YAML tag !!binary is not supported"
schema_error merge 'targets: [/bin/true]\n<<: {format: oci}\nout: out-merge' "3:1: <<: YAML merge keys (<<) are not supported; write the keys out"
printf 'name: x\ntargets: [/bin/true]\njit: false\ntag: !!str v1\nout: out-plain\nformat: oci\n' > plain.yaml
"$cuslim" build -q plain.yaml 2> err; rc=$?
check "an unquoted false and a !!str tag are taken ($(cat err))" '[ $rc = 0 ] && grep -q '"v1"' out-plain/index.json'
# Profile globs in every glob key are checked as read: a broken one matched nothing, silently.
for key in provides devices wheel_lib_dirs; do
  printf 'name: p-%s\nkind: base\nextends: [glibc]\n%s: ["libx.so.[1"]\n' "$key" "$key" > "p-$key.yaml"
  "$cuslim" profiles --profile "p-$key.yaml" list > /dev/null 2> err; rc=$?
  check "profile $key: [\"libx.so.[1\"]: exit 3 at FILE:4 ($(cat err))" '[ $rc = 3 ] && grep -qF "p-$key.yaml:4:" err && grep -qF "a '"'"'['"'"' without its '"'"']'"'"'" err'
done
printf 'name: p-fw\nkind: driver\nfirmware: ["/lib/firmware/nvidia/{versoin}/gsp*.bin"]\n' > p-fw.yaml
"$cuslim" profiles --profile p-fw.yaml list > /dev/null 2> err; rc=$?
check "profile firmware: an unknown placeholder is exit 3 ($(cat err))" '[ $rc = 3 ] && grep -qF "unknown placeholder {versoin}" err'
# A #! wrapper shorter than an ELF header is named as a script, as a longer one.
printf '#!/bin/sh\n' > short.sh; chmod +x short.sh
"$cuslim" deps ./short.sh 2> err; rc=$?
check "deps of a 10-byte #! script: exit 3, named as a script ($(cat err))" '[ $rc = 3 ] && grep -qF "a #! script (#!/bin/sh), not an ELF file" err'
# --base is classify's: with list or show it was ignored (exit 0 for a base that does not exist).
for action in list "show glibc"; do
  "$cuslim" profiles $action --base nope > /dev/null 2> err; rc=$?
  check "profiles $action --base nope: exit 2, said to be classify's ($(cat err))" '[ $rc = 2 ] && grep -qF -- "--base is for classify" err'
done
"$cuslim" profiles classify /usr/lib/x86_64-linux-gnu/libc.so.6 --base debian12 > classified 2> err; rc=$?
check "profiles classify --base debian12: still taken ($(cat err))" '[ $rc = 0 ] && grep -q "system" classified'
# What a spec gives that its output cannot take is the spec's error at the key (exit 3), not a
# flag's (exit 2, "see --help"): a name or tag that is no docker reference for a docker-archive,
# a compression a rootfs tar does not have.
printf 'name: MyApp\ntargets: [/bin/true]\nout: up-oci\n' > up.yaml
"$cuslim" build -q up.yaml -o up.docker.tar 2> err; rc=$?
check "spec name no docker reference, -o x.docker.tar: exit 3 at name's FILE:LINE:COL ($(cat err))" '[ $rc = 3 ] && grep -q "up.yaml:1:7: name: .MyApp. is not a docker reference" err && [ ! -e up.docker.tar ]'
printf 'name: t\ntag: "v1.0+build"\ntargets: [/bin/true]\nout: x.docker.tar\n' > badtag.yaml
"$cuslim" build -q badtag.yaml 2> err; rc=$?
check "spec tag no docker reference for its docker-archive out: exit 3 at tag ($(cat err))" '[ $rc = 3 ] && grep -q "badtag.yaml:2:6: tag: " err && [ ! -e x.docker.tar ]'
printf 'name: t\ntargets: [/bin/true]\nout: s2.tar\ncompression: zstd\n' > comp.yaml
"$cuslim" build -q comp.yaml 2> err; rc=$?
check "spec compression on a tar out: exit 3 at compression, no flag named ($(cat err))" '[ $rc = 3 ] && grep -q "comp.yaml:4:14: compression: " err && ! grep -q -- "--compression" err && [ ! -e s2.tar ]'
printf 'name: a\ntargets: [/bin/true]\nout: fm.tar.zst\nformat: oci\n' > outfmt.yaml
"$cuslim" build -q outfmt.yaml 2> err; rc=$?
check "spec out: whose name says another format than format:: exit 3 at out, in the spec's words ($(cat err))" \
  '[ $rc = 3 ] && grep -q "outfmt.yaml:3:6: out: fm.tar.zst: its name says tar.zst, its format: says oci (.*leave format: out)" err && ! grep -q -- "--format\|see cuslim" err && [ ! -e fm.tar.zst ]'
printf 'name: a\ntargets: [/bin/true]\nout: docker-archive:dr.tar:Repo/X:1\n' > outref.yaml
"$cuslim" build -q outref.yaml 2> err; rc=$?
check "spec out: with no docker reference: exit 3 at out ($(cat err))" '[ $rc = 3 ] && grep -q "outref.yaml:3:6: out: .*is not a docker reference" err && [ ! -e dr.tar ]'
finish
