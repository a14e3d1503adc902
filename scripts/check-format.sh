#!/usr/bin/env bash
# Fails when a C++ file differs from what the checked-in .clang-format makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find include src tests bench fuzz -name '*.cpp' -o -name '*.hpp' 2>/dev/null)
[ "${#files[@]}" -eq 0 ] && exit 0
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files formatted"
