#!/usr/bin/env bash
# slim keeps what it keeps as the input has it: modes and numeric owners of files, directories and
# links (/etc/shadow 0640 root:42, /home/app 0700 1000:1000 with a 0600 key, a 1777 spool dir),
# from a rootfs dir, a rootfs tar and an OCI layout, into a tar (read by tar), an OCI layout
# (unpacked by umoci, run by runc as the image's User) and a dir. A --keep glob keeps an empty
# directory it names; a fifo it matches is left out with a warning naming --keep. bundle from the
# host still normalizes (0644/0755, root's).
set -u
cuslim=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
source "$here/check_lib.sh"
source "$here/runc_lib.sh"
[ "$(id -u)" = 0 ] || { echo "skip: giving files other owners needs root"; exit 77; }
command -v umoci > /dev/null && command -v runc > /dev/null || { echo "skip: umoci or runc missing"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-attrs-XXXXXX); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

must "bundle /bin/cat as a rootfs dir" "$cuslim" bundle -q /bin/cat --format dir -o r
mkdir -p r/etc r/home/app r/srv/drop r/srv/data
echo secret > r/etc/shadow && chmod 640 r/etc/shadow && chown 0:42 r/etc/shadow
echo key > r/home/app/.key && chmod 600 r/home/app/.key && ln -s .key r/home/app/link
chown -hR 1000:1000 r/home/app && chmod 700 r/home/app
chmod 1777 r/srv/drop && echo d > r/srv/data/f && chown -R 7:7 r/srv/data && chmod 2750 r/srv/data
mkfifo r/srv/fifo
keep=(--target /bin/cat --keep '/home/*' --keep /etc/shadow --keep '/srv/*')

# What tar lists for an archive: "mode owner name" per kept entry of interest.
listing() { tar -tvf "$1" --numeric-owner | awk '{sub("/$","",$6); print $1, $2, $6}' | grep -E ' (etc/shadow|home/app.*|srv/.*)$' | sort; }
expected='-rw------- 1000/1000 home/app/.key
-rw-r----- 0/42 etc/shadow
-rw-r--r-- 7/7 srv/data/f
drwx------ 1000/1000 home/app
drwxr-s--- 7/7 srv/data
drwxrwxrwt 0/0 srv/drop
lrwxrwxrwx 1000/1000 home/app/link'

"$cuslim" slim -q r "${keep[@]}" -o dir.tar 2> dir.err; rc=$?
check "slim of a rootfs dir to a tar: modes and owners as the input has them ($(listing dir.tar | tr '\n' ';'))" \
  '[ $rc = 0 ] && [ "$(listing dir.tar)" = "$expected" ]'
check "the fifo --keep matched is left out, and a warning names --keep" \
  '! tar -tf dir.tar | grep -q srv/fifo && grep -q "/srv/fifo: a fifo matched by --keep: left out" dir.err'

# An image input: its layers' owners (unpacking records them), through two slims.
must "slim the tar (an image input) to an OCI layout" "$cuslim" slim -q dir.tar "${keep[@]}" -o layout --tag t
must "slim that OCI layout to a tar" "$cuslim" slim -q layout:t "${keep[@]}" -o oci.tar
check "slim of an image keeps its layers' modes and owners ($(listing oci.tar | tr '\n' ';'))" '[ "$(listing oci.tar)" = "$expected" ]'

# umoci unpacks the layout as a runtime would; runc runs the image's User (1000), who reads its key.
must "umoci sets User 1000:1000" umoci config --image layout:t --config.user 1000:1000
umoci unpack --image layout:t unpacked > /dev/null 2>&1
check "umoci unpacks /home/app as 0700 1000:1000 and .key as 0600 1000:1000" \
  '[ "$(stat -c "%a %u:%g" unpacked/rootfs/home/app unpacked/rootfs/home/app/.key | tr "\n" " ")" = "700 1000:1000 600 1000:1000 " ]'
out=$(run_image layout t /bin/cat /home/app/.key)
check "runc runs the image as 1000 and it reads its own 0600 key ($out)" '[ "$out" = key ]'
out=$(run_image layout t /bin/cat /etc/shadow)
check "as 1000 it cannot read the 0640 root:42 /etc/shadow ($out)" '[ "$out" != secret ] && [[ $out == *"Permission denied"* ]]'
out=$("$cuslim" run --gpu off --no-cache layout:t -- /bin/cat /home/app/.key 2>&1)
check "cuslim run starts the image User in a tree owned as the image says ($out)" '[ "$out" = key ]'

must "slim the layout to a dir" "$cuslim" slim -q layout:t "${keep[@]}" --format dir -o outdir
check "a dir output has the modes and owners ($(stat -c '%a %u:%g %n' outdir/home/app outdir/srv/data outdir/etc/shadow | tr '\n' ';'))" \
  '[ "$(stat -c "%a %u:%g" outdir/home/app outdir/home/app/.key outdir/srv/drop outdir/srv/data outdir/etc/shadow | tr "\n" " ")" = "700 1000:1000 600 1000:1000 1777 0:0 2750 7:7 640 0:42 " ]'

# An oci-archive whose layer holds the fifo: the note names the archive, not a staging dir.
umoci init --layout fifo-layout && umoci new --image fifo-layout:t && umoci unpack --image fifo-layout:t fifo-bundle > /dev/null 2>&1
cp -a r/. fifo-bundle/rootfs/ && umoci repack --image fifo-layout:t fifo-bundle > /dev/null 2>&1 && tar -C fifo-layout -cf fifo.oci.tar .
"$cuslim" slim fifo.oci.tar:t --target /bin/cat -o fifo-out.tar > /dev/null 2> fifo.err; rc=$?
check "an oci-archive with a fifo: the note names fifo.oci.tar and no staging dir ($(grep note fifo.err | cut -c1-120))" \
  '[ $rc = 0 ] && grep -q "note: fifo.oci.tar: layer 0 (sha256:[0-9a-f]*): srv/fifo (device node or fifo" fifo.err && ! grep -q "cuslim-run-" fifo.err'

# bundle from the host normalizes: an included 0600 file of uid 1000 ships 0644 root's.
must "bundle --include of the rootfs key" "$cuslim" bundle -q /bin/true --include "$tmp/r/home/app/.key" --format tar -o host.tar
check "bundle normalizes: 0644 0/0 ($(tar -tvf host.tar --numeric-owner | grep '\.key'))" \
  'tar -tvf host.tar --numeric-owner | grep "\.key$" | grep -q "^-rw-r--r-- 0/0 "'
# Extended attributes: user.* ones are kept as the input has them; file capabilities
# (security.capability, what ping needs) are privilege, as setuid bits are: stripped with a warning
# unless --keep-setuid, in a rewritten layer and from the host alike.
must "bundle /bin/cat for xattrs" "$cuslim" bundle -q /bin/cat --format dir -o x
cp x/bin/cat x/bin/capcat 2> /dev/null || cp "$(readlink -f x/usr/bin/cat)" x/usr/bin/capcat
capcat=$(ls x/bin/capcat x/usr/bin/capcat 2> /dev/null | head -1); capcat=${capcat#x}
cap_hex=0100000200200000000000000000000000000000  # v2 capabilities: cap_net_raw permitted
python3 -c "import os,sys; os.setxattr(sys.argv[1], 'security.capability', bytes.fromhex(sys.argv[2])); os.setxattr(sys.argv[1], 'user.origin', b'test')" "x$capcat" "$cap_hex" 2> xattr.err
if [ -s xattr.err ]; then
  echo "skip of the xattr part: this filesystem takes no xattrs ($(cat xattr.err))"
else
  xattrs_in() {  # TAR PATH-SUFFIX -> "name=hex ..." of the SCHILY.xattr records of that entry
    python3 - "$1" "$2" <<'PY'
import sys, tarfile
for x in tarfile.open(sys.argv[1]):
    if x.name.endswith(sys.argv[2]):
        print(" ".join(sorted(k[len("SCHILY.xattr."):] + "=" + v.encode("utf-8", "surrogateescape").hex() for k, v in x.pax_headers.items() if k.startswith("SCHILY.xattr."))))
PY
  }
  "$cuslim" slim x --target "$capcat" --format tar -o x-strip.tar 2> x-strip.err; rc=$?
  check "slim of a rootfs dir: file capabilities stripped with a warning, user.* kept (exit $rc: $(xattrs_in x-strip.tar capcat))" \
    '[ $rc = 0 ] && grep -q "capcat: file capabilities (security.capability) stripped (--keep-setuid keeps them)" x-strip.err && [ "$(xattrs_in x-strip.tar capcat)" = "user.origin=$(printf test | xxd -p)" ]'
  "$cuslim" slim -q x --target "$capcat" --keep-setuid --format tar -o x-keep.tar; rc=$?
  check "slim --keep-setuid keeps them ($(xattrs_in x-keep.tar capcat))" '[ $rc = 0 ] && xattrs_in x-keep.tar capcat | grep -q "security.capability=$cap_hex"'
  # Through an OCI image: the layer's records, not the disk (unpacking sets none).
  must "the rootfs as an OCI image, capabilities kept" "$cuslim" slim -q x --target "$capcat" --keep-setuid -o x-oci --tag t
  "$cuslim" slim x-oci:t --target "$capcat" -o x-oci-strip.tar --format tar 2> x-oci.err; rc=$?
  check "slim of that image: stripped with the warning (exit $rc)" '[ $rc = 0 ] && grep -q "file capabilities (security.capability) stripped" x-oci.err && ! xattrs_in x-oci-strip.tar capcat | grep -q security.capability'
  "$cuslim" slim -q x-oci:t --target "$capcat" --keep-setuid -o x-oci2 --tag t; rc=$?
  rm -rf x-un; umoci unpack --image x-oci2:t x-un > /dev/null 2>&1
  got=$(python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'security.capability').hex())" "x-un/rootfs$capcat" 2>&1)
  check "slim --keep-setuid of that image: umoci unpacks the capability onto the file ($got)" '[ $rc = 0 ] && [ "$got" = "$cap_hex" ]'
  "$cuslim" bundle /bin/true --include "$tmp/x$capcat" --format tar -o x-host.tar 2> x-host.err; rc=$?
  check "bundle --include of a host file with capabilities: stripped with a warning (exit $rc)" '[ $rc = 0 ] && grep -q "capcat: file capabilities (security.capability) stripped" x-host.err && [ -z "$(xattrs_in x-host.tar capcat)" ]'
fi

finish
