#!/usr/bin/env bash
# Builds weir's libFuzzer targets with clang and runs each for a while.
#
#   bash fuzz/run.sh [SECONDS]     each target for SECONDS (default 10)
#
# FUZZ_BUILD_DIR (default build-fuzz) is where they are built; FUZZ_JOBS (default 2) how many
# compile jobs. Each target starts from the seeds in fuzz/corpus/NAME and keeps what it finds in
# $FUZZ_BUILD_DIR/corpus/NAME, so longer runs build on shorter ones. A crash stops the run with
# a non-zero status and leaves the input as $FUZZ_BUILD_DIR/crash-* (see docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
targets=(request_parser upstream_head_parser client_resolver ip_cidr path config)

CXX=${CXX:-clang++}
case "$("$CXX" --version 2>/dev/null | head -n1)" in
  *clang*) ;;
  *) CXX=clang++ ;;
esac

CXX=$CXX cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEIR_BUILD_FUZZ=ON \
  -DWEIR_BUILD_TESTS=OFF -DWEIR_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target "${targets[@]/#/fuzz_}"

build_dir=$(cd "$build_dir" && pwd)
for target in "${targets[@]}"; do
  corpus="$build_dir/corpus/$target"
  log="$build_dir/fuzz-$target.log"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  status=0
  "$build_dir/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build_dir/" \
    "$corpus" "fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  tail -n 4 "$log"
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target failed (status $status); the input is in $build_dir/crash-*" >&2
    exit "$status"
  fi
done
echo "fuzz: ${#targets[@]} passed, 0 failed"
