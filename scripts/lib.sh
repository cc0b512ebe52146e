# Shared by scripts/demo and scripts/test: install what is missing, configure, build.
# shellcheck shell=bash

CUSLIM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$CUSLIM_TOP/build}

# Packages the build needs (Debian/Ubuntu names).
BUILD_PACKAGES=(build-essential cmake pkg-config python3 libelf-dev libyaml-cpp-dev libcli11-dev
  libarchive-dev libgtest-dev libgmock-dev nlohmann-json3-dev libssl-dev libzstd-dev zlib1g-dev libdeflate-dev
  libbz2-dev liblzma-dev liblz4-dev libacl1-dev libcurl4-openssl-dev)
# Real consumers the tests and benchmarks run.
TEST_PACKAGES=(python3-venv python3-dev unzip libtree skopeo umoci runc docker-registry apache2-utils openssl python3-cryptography zstd pigz graphviz python3-yaml curl util-linux bc time libc6-i386 locales tzdata
  chromium)  # chromium: the HTML reports are loaded and screenshotted headless (tests/integration/html_report.sh)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_cuslim() {
  # The nvcc smoke kernels are built when a CUDA toolkit is there; nothing else needs it.
  if [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then export CUDACXX=/usr/local/cuda/bin/nvcc; fi
  log "building in $BUILD_DIR"
  # CUSLIM_UNITY_BUILD=ON (CI sets it): 12 sources per compiler run, about half the build time of
  # a clean build; an edit then recompiles its batch, so day-to-day builds leave it off.
  cmake -S "$CUSLIM_TOP" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    ${CUSLIM_UNITY_BUILD:+-DCMAKE_UNITY_BUILD=$CUSLIM_UNITY_BUILD -DCMAKE_UNITY_BUILD_BATCH_SIZE=12} "$@" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)"
}
