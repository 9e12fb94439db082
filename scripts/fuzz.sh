#!/usr/bin/env bash
# Builds the libFuzzer harness for the parsers and runs every target for a bounded time.
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]   fuzz each target (all by default) for N seconds
#   scripts/fuzz.sh --writer-seeds               (re)write the tar seeds our own writer makes
#
# The harness is one binary: Tests/Fuzz/Harness (libFuzzer's entry points), Tests/Fuzz/Properties
# (the checks, shared with the FuzzTests suites) and the library sources the parsers need, all
# compiled as one module with -sanitize=fuzzer,address, so coverage reaches into the parsers and
# no package dependency is rebuilt with sanitizers. Only swift-log is compiled alongside (the tar
# extractor logs), from the checkout `swift build` already resolved.
#
# Which library files to compile is found by the compiler: starting from the parsers' files, any
# file that declares a symbol the compiler "cannot find" is added, until everything type-checks.
# So moving code between files in Sources/CloudWAL needs no change here.
#
# Each target starts from its committed corpus (Tests/Fuzz/corpus/<target>, read only) plus new
# inputs it finds (.build-fuzz/corpus/<target>, not committed). A crash, a broken property, an
# input running over 10 s or a process over 2 GiB fails the run; the input that did it is saved
# under .build-fuzz/artifacts/ and named in the output. Add it (minimised with
# `FUZZ_TARGET=<target> .build-fuzz/fuzz-parsers -minimize_crash=1 -runs=10000 <file>`) to the
# target's corpus with the fix, so `swift test --filter FuzzCorpus` replays it from then on.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

seconds=6
writer_seeds=0
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --writer-seeds) writer_seeds=1; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all_targets=(wal-name storage-url tag size tar tar-extract python-literal backup-info)
((${#targets[@]})) || targets=("${all_targets[@]}")

swiftc="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
work="$repo/.build-fuzz"
mkdir -p "$work/logging" "$work/corpus" "$work/artifacts"

# swift-log, from the checkout of the package's own resolution (no sanitizer: nothing to find there).
logging_src="$repo/.build/checkouts/swift-log/Sources/Logging"
[[ -d "$logging_src" ]] || swift package resolve >/dev/null
if [[ ! -f "$work/logging/libLogging.a" || "$logging_src" -nt "$work/logging/libLogging.a" ]]; then
  echo "fuzz: compiling swift-log"
  mapfile -t logging_files < <(find "$logging_src" -name '*.swift' | sort)
  "$swiftc" -Onone -wmo -parse-as-library -package-name swift_log -module-name Logging -emit-library -static \
    -emit-module -emit-module-path "$work/logging/Logging.swiftmodule" -o "$work/logging/libLogging.a" \
    "${logging_files[@]}"
fi

# The parsers' files, by name wherever they live in the library (folders move); the loop below
# adds what they need.
lib="Sources/CloudWAL"
files=()
for name in WALFileName LSN StorageURL AzureConnectionString TagParser SizeParser \
  TarReader TarHeaderDecoder TarMember TarPath TarExtractor PythonLiteral BackupInfo Timestamp; do
  found="$(find "$lib" -name "$name.swift" | sort | head -n 1)"
  [[ -n $found ]] || { echo "fuzz: no $name.swift under $lib: a parser moved or was renamed" >&2; exit 1; }
  files+=("$found")
done
mapfile -t own < <(find Tests/Fuzz/Properties Tests/Fuzz/Harness -name '*.swift' | sort)
flags=(-parse-as-library -module-name FuzzParsers -I "$work/logging")

for round in $(seq 1 25); do
  if "$swiftc" -typecheck "${flags[@]}" "${own[@]}" "${files[@]}" >"$work/typecheck.log" 2>&1; then
    break
  fi
  mapfile -t missing < <(grep -oE "error: cannot find (type )?'[A-Za-z_][A-Za-z0-9_]*' in scope" "$work/typecheck.log" \
    | sed -E "s/.*'([^']+)'.*/\1/" | sort -u)
  # A type whose conformance lives in an extension elsewhere (e.g. its error category).
  mapfile -t unconformed < <(grep -oE "error: type '[A-Za-z_][A-Za-z0-9_]*' does not conform to protocol" \
    "$work/typecheck.log" | sed -E "s/.*type '([^']+)'.*/\1/" | sort -u)
  added=0
  for symbol in "${unconformed[@]}"; do
    while IFS= read -r file; do
      [[ " ${files[*]} " == *" $file "* ]] && continue
      files+=("$file")
      added=1
    done < <(grep -rlE "^(public |package |internal )*extension $symbol\b" "$lib" | sort)
  done
  for symbol in "${missing[@]}"; do
    while IFS= read -r file; do
      [[ " ${files[*]} " == *" $file "* ]] && continue
      files+=("$file")
      added=1
    done < <(grep -rlE "^(public |package |internal |fileprivate |private |final |indirect )*(struct|enum|class|protocol|actor|typealias|func|let|var) $symbol\b" "$lib" | sort)
  done
  if ((!added)); then
    echo "fuzz: the harness does not type-check, and no library file declares what is missing:" >&2
    grep -E "error:" "$work/typecheck.log" | sort -u | head -20 >&2
    exit 1
  fi
done
echo "fuzz: harness compiles ${#files[@]} library files"

binary="$work/fuzz-parsers"
echo "fuzz: compiling the harness (-sanitize=fuzzer,address)"
# Whole-module -O: a fourth of the time of per-file -O here, and 4 to 15 times the inputs per second of -Onone.
"$swiftc" -O -wmo -sanitize=fuzzer,address "${flags[@]}" -L "$work/logging" -lLogging \
  "${own[@]}" "${files[@]}" -o "$binary" 2> >(grep -v 'ld.gold: warning: Cannot export local symbol' >&2)
echo "fuzz: harness built after ${SECONDS}s"

if ((writer_seeds)); then
  ASAN_OPTIONS=detect_leaks=0 FUZZ_WRITER_SEEDS="$repo/Tests/Fuzz/corpus/tar" "$binary"
  echo "fuzz: wrote the writer's tars into Tests/Fuzz/corpus/tar"
  exit 0
fi

status=0
for target in "${targets[@]}"; do
  seeds="Tests/Fuzz/corpus/$target"
  [[ "$target" == tar-extract ]] && seeds="Tests/Fuzz/corpus/tar"
  [[ -d "$seeds" ]] || { echo "fuzz: no corpus at $seeds" >&2; exit 1; }
  mkdir -p "$work/corpus/$target"
  log="$work/$target.log"
  echo "fuzz: $target for ${seconds}s (seeds: $seeds)"
  # Swift's own backtracer would hold a crashing run for minutes; libFuzzer reports the crash.
  if SWIFT_BACKTRACE=enable=no FUZZ_TARGET="$target" "$binary" "$work/corpus/$target" "$seeds" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/$target-" >"$log" 2>&1; then
    echo "fuzz: $target: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') inputs, no failure"
  else
    status=1
    echo "fuzz: $target FAILED; log: $log" >&2
    # The broken properties (each indented under its heading), or the sanitizer's verdict, and the input.
    awk '/^property broken/ {p=1; print; next} p && /^  / {print; next} {p=0}' "$log" | head -12 >&2
    grep -E 'ERROR: (libFuzzer|AddressSanitizer)|^SUMMARY|Fatal error|Test unit written' "$log" | head -6 >&2
  fi
done
echo "fuzz: done after ${SECONDS}s"
exit "$status"
