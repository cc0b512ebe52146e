#!/usr/bin/env bash
# slim on a real Debian image built here from real packages: curl, bash, coreutils, perl-base,
# python3.11-minimal and their dependencies (.deb files from the Debian mirror, unpacked with
# dpkg-deb -x), plus a small app; packed with umoci into an OCI image. The slimmed image must run
# under runc with the same output as the original, from an OCI layout and from a docker-archive,
# and be at least 5x smaller. Exits 77 with the reason when packages or tools are missing.
set -u
cuslim=$(readlink -f "$1"); cache=${2:-/var/tmp/cuslim-debs}
for tool in umoci runc skopeo dpkg-deb apt-get; do command -v $tool >/dev/null || { echo "skip: $tool missing"; exit 77; }; done
[ "$(id -u)" = 0 ] || { echo "skip: needs root (umoci unpack, runc)"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-slim-XXXXXX); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
source "$(dirname "$0")/runc_lib.sh"
export RUN_IMAGE_KEEP_ENV=1  # the Debian image runs with its own Env, as a runtime would

pkgs="curl bash coreutils perl-base python3.11-minimal"
if [ ! -f "$cache/.complete" ]; then
  mkdir -p "$cache" && cd "$cache" || exit 1
  deps=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances $pkgs |
         grep -E '^[a-z0-9]' | sort -u)
  for d in $deps; do apt-get download -q "$d" >/dev/null 2>&1 || true; done   # virtual names have no .deb
  ls "$cache"/curl_*.deb >/dev/null 2>&1 || { echo "skip: could not download Debian packages"; exit 77; }
  touch "$cache/.complete"; cd - >/dev/null
fi
root="$tmp/root"; mkdir -p "$root/etc" "$root/app"
for d in "$cache"/*.deb; do dpkg-deb -x "$d" "$root"; done
printf 'include /etc/ld.so.conf.d/*.conf\n' > "$root/etc/ld.so.conf"; mkdir -p "$root/etc/ld.so.conf.d"
ldconfig -r "$root"
echo '#include <stdio.h>
#include <zlib.h>
int main(void){printf("app: zlib %s\n", zlibVersion());return 0;}' > "$tmp/app.c"
cc -o "$root/app/hello" "$tmp/app.c" -lz

# Pack the root into an OCI image with umoci, entrypoint curl --version.
umoci init --layout "$tmp/img" && umoci new --image "$tmp/img:orig" && umoci unpack --image "$tmp/img:orig" "$tmp/b" >/dev/null &&
  cp -a "$root/." "$tmp/b/rootfs/" && umoci repack --image "$tmp/img:orig" "$tmp/b" &&
  umoci config --image "$tmp/img:orig" --config.entrypoint /usr/bin/curl --config.cmd --version --config.exposedports 8080/tcp --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
check "umoci packed the Debian root as an OCI image" '[ $? = 0 ] && [ -f "$tmp/img/index.json" ]'


orig=$(run_image "$tmp/img" orig); orig_size=$(cat "$tmp/last.size")
orig_app=$(run_image "$tmp/img" orig /app/hello)
check "the original image runs curl --version under runc ($(echo "$orig" | head -1 | cut -c1-40))" '[[ "$orig" == curl* ]]'

"$cuslim" slim "$tmp/img" --from-tag orig -o "$tmp/slim" --tag slim --target /app/hello > "$tmp/report" 2>&1; rc=$?
cat "$tmp/report" | head -6
check "cuslim slim exits 0" '[ $rc = 0 ]'
slim=$(run_image "$tmp/slim" slim); slim_size=$(cat "$tmp/last.size")
slim_app=$(run_image "$tmp/slim" slim /app/hello)
check "the slimmed image prints the same curl --version" '[ "$slim" = "$orig" ]'
check "the slimmed image runs the app with the same output ($slim_app)" '[ "$slim_app" = "$orig_app" ]'
ratio=$(python3 -c "print(round($orig_size / $slim_size, 1))")
check "slimmed rootfs is at least 5x smaller: $orig_size -> $slim_size bytes (${ratio}x)" 'python3 -c "import sys; sys.exit(0 if $orig_size >= 5 * $slim_size else 1)"'
check "config kept: entrypoint, cmd, exposed ports" 'skopeo inspect --config "oci:$tmp/slim:slim" | python3 -c "import json,sys; c=json.load(sys.stdin)[\"config\"]; assert c[\"Entrypoint\"]==[\"/usr/bin/curl\"] and c[\"Cmd\"]==[\"--version\"] and \"8080/tcp\" in c[\"ExposedPorts\"]"'
check "history says what slim did" 'skopeo inspect --config "oci:$tmp/slim:slim" | grep -q "cuslim slim"'

skopeo copy -q "oci:$tmp/img:orig" "docker-archive:$tmp/orig.docker.tar:cuslim/curl:orig"
"$cuslim" slim -q "$tmp/orig.docker.tar" -o "$tmp/slim2" --tag slim; rc=$?
slim2=$(run_image "$tmp/slim2" slim)
check "a docker-archive input slims to the same behaviour" '[ $rc = 0 ] && [ "$slim2" = "$orig" ]'
finish
