#!/usr/bin/env bash
# What CI and developers run: dependencies, release build, then every test (unit + PostgreSQL
# integration). The integration tests use the shipped static binary, so its build comes first.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

echo "test: installing dependencies"
scripts/install-deps.sh

# The binary we ship is built with --static-swift-stdlib in its own scratch path: `swift test`
# builds with other flags, and sharing one .build would rebuild every package at each switch.
echo "test: swift build -c release --static-swift-stdlib --scratch-path .build-shipped"
swift build -c release --static-swift-stdlib --scratch-path .build-shipped

# --- Fuzzing (issue 10): a bounded libFuzzer run over the parsers -------------------------------
# About 1.5 minutes: the harness build (~40 s) and 6 s per target. It starts from the committed
# corpus in Tests/Fuzz/corpus, which `swift test` below also replays (FuzzCorpus). Set
# CLOUD_WAL_FUZZ_SECONDS to fuzz longer; a failure names the saved input (see scripts/fuzz.sh).
echo "test: scripts/fuzz.sh --seconds ${CLOUD_WAL_FUZZ_SECONDS:-6}"
scripts/fuzz.sh --seconds "${CLOUD_WAL_FUZZ_SECONDS:-6}"
# --- end of fuzzing ------------------------------------------------------------------------------


shipped="$repo/.build/shipped"
mkdir -p "$shipped"
install -m 0755 .build-shipped/release/cloud-wal "$shipped/cloud-wal"
export CLOUD_WAL_BIN="$shipped/cloud-wal"

# Every command, option, variable and link the README and docs/ name must exist (a few seconds).
echo "test: scripts/check-docs.sh"
scripts/check-docs.sh

log="$(mktemp /tmp/cloud-wal-test.XXXXXX.log)"
echo "test: swift test -c release --disable-xctest (CLOUD_WAL_BIN=$CLOUD_WAL_BIN, log: $log)"
status=0
swift test -c release --disable-xctest 2>&1 | tee "$log" || status=$?

# Swift Testing's closing line ("Test run with N tests ... passed/failed ...") is the summary.
summary="$(grep -E 'Test run with [0-9]+ tests?' "$log" | tail -n 1 || true)"
echo "test: ${summary:-no test summary found}"
if ((status != 0)); then
  echo "test: FAILED (swift test exit $status)" >&2
  exit "$status"
fi
if [[ -z "$summary" ]] || grep -q 'failed after' <<<"$summary"; then
  echo "test: FAILED" >&2
  exit 1
fi
rm -f "$log"
echo "test: OK"
