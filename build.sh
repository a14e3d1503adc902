#!/usr/bin/env bash
# weir's one entry point on a fresh Debian 12 machine: installs what is missing, builds, and
#   bash build.sh run [weir args...]   runs weir (built-in configuration unless --config)
#   bash build.sh test                 runs every test
#   bash build.sh bench [--smoke]      runs the benchmarks against nginx (bench/README.md)
# Needs root (or sudo) only to install Debian packages, and only the first time.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PACKAGES=(build-essential cmake pkg-config libboost-dev libboost-system-dev
  libhiredis-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev)
TEST_PACKAGES=(redis-server redis-tools prometheus clang clang-format procps nginx-light wrk)
BENCH_PACKAGES=(nginx-light wrk procps)

install_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "build.sh: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

build() {
  local dir=$1 type=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  run)
    install_packages "${BUILD_PACKAGES[@]}"
    build build-release Release -DWEIR_BUILD_TESTS=OFF -DWEIR_BUILD_BENCH=OFF
    exec build-release/weir "$@"
    ;;
  test)
    install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build build RelWithDebInfo -DWEIR_BUILD_BENCH=ON
    ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600
    ;;
  bench)
    install_packages "${BUILD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}" redis-server
    build build-release Release -DWEIR_BUILD_TESTS=OFF -DWEIR_BUILD_BENCH=ON
    exec bash bench/run.sh "$@"
    ;;
  *)
    echo "usage: bash build.sh run [weir options] | test | bench [--smoke]" >&2
    exit 2
    ;;
esac
