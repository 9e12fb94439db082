#!/usr/bin/env bash
# bench/backup.sh — base backup and restore throughput on one PostgreSQL 15 database.
#
#   bench/backup.sh              # pgbench scale 20 (~300 MiB PGDATA); SCALE=50 bench/backup.sh
#
# Compares, for the compressions none/gzip/lz4 (BACKUP_COMPRESSIONS to change):
#   cloud-wal backup / restore          on S3 (moto) and on file://
#   barman-cloud-backup / -restore      3.19.1 from .venv-test, on S3 (moto)
#   pgbackrest backup / restore         Debian 2.45, posix repository, process-max 2, full backups
# All three take the same database with an immediate checkpoint; archive_command is /bin/true for
# everyone (pgbackrest with archive-check=n), so the figures are the data copy alone. Each run is
# timed with /usr/bin/time -f "%e %M": MB/s is PGDATA's size (du) over wall time, and peak RSS is the
# tool's own. Every restore is checked: the restored PGDATA must hold the same files (same sizes)
# as the source minus what backups leave out.
# Output: Markdown table on stdout and in bench/results/backup.md. Must run as root.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCALE="${SCALE:-20}"
COMPRESSIONS=(${BACKUP_COMPRESSIONS:-none gzip lz4})
venv="${CLOUD_WAL_TEST_VENV:-$repo/.venv-test}"
PGBIN=/usr/lib/postgresql/15/bin
results="$repo/bench/results"
log() { printf 'bench: %s\n' "$*" >&2; }

[[ $(id -u) -eq 0 ]] || { log "run as root (PostgreSQL and pgbackrest run as the postgres user)"; exit 1; }
[[ -x $venv/bin/moto_server && -x $venv/bin/barman-cloud-backup ]] || bash "$repo/scripts/install-deps.sh" >&2
command -v pgbackrest >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbackrest >/dev/null; }

ours="${CLOUD_WAL_BIN:-}"
[[ -n $ours ]] || { [[ -x $repo/.build/release/cloud-wal ]] && ours="$repo/.build/release/cloud-wal"; } || true
[[ -n $ours && -x $ours ]] || { log "set CLOUD_WAL_BIN or build .build/release/cloud-wal"; exit 1; }

work="$(mktemp -d /tmp/cloudwal-bbench-XXXXXX)"
chmod 755 "$work"
source "$repo/bench/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

start_moto
start_postgres "archive_mode = on" "archive_command = '/bin/true'" "max_wal_size = '4GB'"
pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -i -q -s "$SCALE" postgres >/dev/null 2>&1
psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -c checkpoint postgres
pgdata_kib=$(du -sk --exclude=pg_wal "$work/pg/data" | cut -f1)
log "PGDATA $((pgdata_kib / 1024)) MiB without pg_wal (pgbench scale $SCALE)"

# The files a restore must bring back (paths; sizes of catalogs may move with autovacuum while the
# tools run): PGDATA minus what every base backup leaves out.
manifest() {
  (cd "$1" && find . -type f ! -path './pg_wal/*' ! -path './pg_subtrans/*' ! -path './pg_stat_tmp/*' \
    ! -path './pg_replslot/*' ! -path './pg_dynshmem/*' ! -path './pg_notify/*' ! -path './pg_serial/*' \
    ! -path './pg_snapshots/*' ! -path './log/*' ! -name postmaster.pid ! -name postmaster.opts \
    ! -name 'backup_label*' ! -name tablespace_map ! -name recovery.signal ! -name postgresql.auto.conf \
    ! -name pg_internal.init ! -name backup_manifest ! -name '*.pgbackrest*' -printf '%P\n' | LC_ALL=C sort)
}
manifest "$work/pg/data" >"$work/source.manifest"
source_bytes() { du -sk --exclude=pg_wal "$1" | cut -f1; }

samples="$work/samples.tsv"   # tool compression op seconds rss_kib status
: >"$samples"
errors="$work/errors.txt"
: >"$errors"
touch "$work/time.out" && chmod 666 "$work/time.out"

verify_restore() {  # TOOL COMP DIR: same files as PGDATA, and within 2% of its size
  manifest "$3" >"$work/restored.manifest" || true
  local got want
  got=$(source_bytes "$3"); want=$(source_bytes "$work/pg/data")
  if ! cmp -s "$work/source.manifest" "$work/restored.manifest" || ((got * 100 < want * 98 || got * 100 > want * 102)); then
    printf '%s\t%s\trestore\t0\t0\t99\n' "$1" "$2" >>"$samples"
    printf '%s %s restore: restored files differ from PGDATA (%s KiB vs %s KiB; %s)\n' "$1" "$2" "$got" "$want" \
      "$(diff "$work/source.manifest" "$work/restored.manifest" | head -3 | tr '\n' ' ')" >>"$errors"
  fi
  rm -rf "$3"
}

PGCONN=(-h 127.0.0.1 -p "$pg_port" -U postgres)

# ---- cloud-wal, on S3 and on file:// -------------------------------------------------------------
mkdir -p "$work/fsrepo"
for target in s3 file; do
  for comp in "${COMPRESSIONS[@]}"; do
    if [[ $target == s3 ]]; then url="s3://bench/cw-$comp"; opts=(--endpoint-url "$EP"); name=cloud-wal
    else url="file://$work/fsrepo"; opts=(); name=cloud-wal-file; fi
    log "$name backup $comp"
    run_timed "$name" "$comp" backup "$ours" backup --immediate-checkpoint "${opts[@]}" $(flag_for "$comp") "${PGCONN[@]}" "$url" "srv-$comp" || continue
    id="$(tail -n 1 "$work/stdout.out")"
    run_timed "$name" "$comp" restore "$ours" restore "${opts[@]}" "$url" "srv-$comp" "$id" "$work/restore" || continue
    verify_restore "$name" "$comp" "$work/restore"
  done
done

# ---- barman-cloud 3.19.1 -------------------------------------------------------------------------
for comp in "${COMPRESSIONS[@]}"; do
  url="s3://bench/barman-$comp"
  log "barman-cloud backup $comp"
  run_timed barman-cloud "$comp" backup "$venv/bin/barman-cloud-backup" --immediate-checkpoint --endpoint-url "$EP" \
    $(flag_for "$comp") "${PGCONN[@]}" "$url" srv || continue
  run_timed barman-cloud "$comp" restore "$venv/bin/barman-cloud-restore" --endpoint-url "$EP" "$url" srv latest "$work/restore" || continue
  verify_restore barman-cloud "$comp" "$work/restore"
done

# ---- pgbackrest 2.45, posix repository ----------------------------------------------------------
mkdir -p "$work/pgbr" && chown postgres: "$work/pgbr"
for comp in "${COMPRESSIONS[@]}"; do
  case $comp in none) ct=none ;; gzip) ct=gz ;; lz4) ct=lz4 ;; zstd) ct=zst ;; *) continue ;; esac
  conf="$work/pgbr/$comp.conf"
  cat >"$conf" <<CONF
[global]
repo1-type=posix
repo1-path=$work/pgbr/repo-$comp
log-path=$work/pgbr/log
lock-path=$work/pgbr/lock
log-level-console=warn
log-level-file=off
compress-type=$ct
process-max=2
start-fast=y
archive-check=n
[bench]
pg1-path=$work/pg/data
pg1-port=$pg_port
pg1-socket-path=$work/pg
CONF
  chown postgres: "$conf"
  log "pgbackrest backup $comp"
  runuser -u postgres -- pgbackrest --config="$conf" --stanza=bench stanza-create >/dev/null 2>&1 || true
  run_timed pgbackrest "$comp" backup --as-postgres pgbackrest --config="$conf" --stanza=bench --type=full backup || continue
  mkdir -p "$work/restore" && chown postgres: "$work/restore" && chmod 700 "$work/restore"
  run_timed pgbackrest "$comp" restore --as-postgres pgbackrest --config="$conf" --stanza=bench --pg1-path="$work/restore" restore || continue
  verify_restore pgbackrest "$comp" "$work/restore"
done

# ---- report --------------------------------------------------------------------------------------
mkdir -p "$results"
{
  printf '# Base backup and restore (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'PGDATA %s MiB without pg_wal (pgbench scale %s), PostgreSQL 15, %s cores, %s.\n' \
    "$((pgdata_kib / 1024))" "$SCALE" "$(nproc)" "$(uname -r)"
  printf 'cloud-wal and barman-cloud %s on S3 (moto, loopback); cloud-wal-file and pgbackrest (%s) on local disk.\n\n' \
    "$("$venv/bin/python" -m pip show barman 2>/dev/null | sed -n 's/^Version: //p')" "$(pgbackrest version)"
  python3 "$repo/bench/backup_report.py" "$samples" "$pgdata_kib" "${COMPRESSIONS[@]}"
  if [[ -s $errors ]]; then printf '\nFailures:\n\n'; sed 's/^/- /' "$errors"; fi
} | tee "$results/backup.md"
