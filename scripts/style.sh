#!/usr/bin/env bash
# picohub's C++ style, from .clang-format and .clang-tidy at the top of the tree.
#   scripts/style.sh                 format every tracked C++ file in place (the tree-wide format pass)
#   scripts/style.sh --check         fail, naming the files, if any tracked C++ file is not formatted
#   scripts/style.sh --tidy [FILES]  clang-tidy on FILES (default: every C++ file of the host build), with
#                                    build/host/compile_commands.json; a header is checked through its .cpp
#   scripts/style.sh --tidy-changed  clang-tidy on the C++ files changed by the last commit (git diff HEAD~1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
format=${CLANG_FORMAT:-clang-format-14}
tidy=${CLANG_TIDY:-clang-tidy-14}
# The compile database: ./run test has just built host-asan (its generated headers exist); any preset's will do.
db=${PICOHUB_TIDY_DB:-build/host-asan}

# Our C++ files; cmake/mbedtls/*.h is mbedTLS's configuration, kept in mbedTLS's own layout.
cxx_files() { git ls-files -- '*.cpp' '*.hpp' '*.h' '*.c' ':(exclude)cmake/**'; }

# The translation units for FILES: .cpp/.c files that the host build compiles; a header maps to the .cpp beside it.
tidy_units() {
  local f unit
  for f in "$@"; do
    unit=$f
    [[ $f == *.hpp || $f == *.h ]] && unit=${f%.*}.cpp
    [[ -f $unit ]] && grep -qF "\"$root/$unit\"" "$db/compile_commands.json" && echo "$unit"
  done | sort -u
}

run_tidy() {
  [[ -f $db/compile_commands.json ]] || cmake --preset "$(basename "$db")" >/dev/null
  local units
  mapfile -t units < <(tidy_units "$@")
  if (( ${#units[@]} == 0 )); then echo "clang-tidy: no C++ file of the host build to check"; return 0; fi
  echo "clang-tidy: ${#units[@]} file(s)"
  # One clang-tidy per file, as many at a time as there are cores; any finding of the .clang-tidy set fails.
  # The host build uses g++ flags clang does not know: not a finding.
  printf '%s\n' "${units[@]}" | xargs -P "$(nproc)" -n 1 \
    "$tidy" -p "$db" --quiet --extra-arg=-Wno-unknown-warning-option
}

case "${1:-}" in
  "") cxx_files | xargs "$format" -i ;;
  --check)
    if ! out=$(cxx_files | xargs "$format" --dry-run 2>&1); then echo "$out"; exit 1; fi
    if [[ -n $out ]]; then
      echo "$out" | grep -o '^[^:]*:[0-9]*:[0-9]*: warning' | cut -d: -f1 | sort | uniq -c |
        awk '{print "not formatted: " $2 " (" $1 " places)"}'
      echo "format them with: scripts/style.sh   (clang-format -i with .clang-format)"
      exit 1
    fi
    echo "clang-format: every tracked C++ file is formatted" ;;
  --tidy) shift; if (( $# )); then run_tidy "$@"; else mapfile -t all < <(cxx_files); run_tidy "${all[@]}"; fi ;;
  --tidy-changed)
    git rev-parse -q --verify HEAD~1 >/dev/null || { echo "clang-tidy: no previous commit"; exit 0; }
    mapfile -t changed < <(git diff --name-only --diff-filter=d HEAD~1 -- '*.cpp' '*.hpp' '*.h' '*.c')
    run_tidy "${changed[@]}" ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
