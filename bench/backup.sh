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
moto_pid=""
pg_started=""
cleanup() {
  set +e
  [[ -n $pg_started ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1
  if [[ -n $moto_pid ]]; then kill "$moto_pid" 2>/dev/null; wait "$moto_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
moto_port="$(free_port)"
EP="http://127.0.0.1:$moto_port"
timeout 7200 "$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 150); do curl -s -o /dev/null "$EP/" && break; sleep 0.2; done
curl -sf -X PUT "$EP/bench" >/dev/null

# ---- the database --------------------------------------------------------------------------------
mkdir -p "$work/pg" && chown postgres: "$work/pg"
pg_port="$(free_port)"
runuser -u postgres -- "$PGBIN/initdb" -D "$work/pg/data" -A trust --no-sync -E UTF8 --locale=C -U postgres >/dev/null
cat >>"$work/pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$work/pg'
fsync = off
wal_level = replica
archive_mode = on
archive_command = '/bin/true'
max_wal_size = '4GB'
CONF
(cd "$work/pg" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w start >/dev/null)
pg_started=1
pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -i -q -s "$SCALE" postgres >/dev/null 2>&1
psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -c checkpoint postgres
pgdata_kib=$(du -sk --exclude=pg_wal "$work/pg/data" | cut -f1)
log "PGDATA $((pgdata_kib / 1024)) MiB without pg_wal (pgbench scale $SCALE)"

# The files a restore must bring back, with sizes (what every tool leaves out excluded).
manifest() {
  (cd "$1" && find . -type f ! -path './pg_wal/*' ! -name postmaster.pid ! -name postmaster.opts \
    ! -name backup_label ! -name 'backup_label.old' ! -name tablespace_map ! -name 'recovery.signal' \
    ! -name 'postgresql.auto.conf' ! -path './pg_stat_tmp/*' ! -path './pg_replslot/*' ! -name pg_internal.init \
    ! -path './log/*' ! -name 'backup_manifest' ! -name '*.pgbackrest*' -printf '%P %s\n' | LC_ALL=C sort)
}
manifest "$work/pg/data" | grep -v '^global/pg_control ' >"$work/source.manifest"

samples="$work/samples.tsv"   # tool compression op seconds rss_kib status
: >"$samples"
errors="$work/errors.txt"
: >"$errors"
touch "$work/time.out" && chmod 666 "$work/time.out"

run_timed() {  # TOOL COMP OP [--as-postgres] CMD...
  local tool=$1 comp=$2 op=$3; shift 3
  local prefix=()
  if [[ $1 == --as-postgres ]]; then prefix=(runuser -u postgres --); shift; fi
  local rc=0
  (cd "$work" && "${prefix[@]}" /usr/bin/time -f "%e %M" -o "$work/time.out" "$@" >"$work/stdout.out" 2>"$work/stderr.out") || rc=$?
  local t m
  read -r t m < <(tail -n 1 "$work/time.out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$comp" "$op" "$t" "$m" "$rc" >>"$samples"
  ((rc == 0)) || printf '%s %s %s exit %s: %s\n' "$tool" "$comp" "$op" "$rc" "$(grep -v '^Command exited' "$work/stderr.out" | tail -n 1)" >>"$errors"
  return $rc
}

verify_restore() {  # TOOL COMP DIR
  manifest "$3" | grep -v '^global/pg_control ' >"$work/restored.manifest" || true
  if ! cmp -s "$work/source.manifest" "$work/restored.manifest"; then
    printf '%s\t%s\trestore\t0\t0\t99\n' "$1" "$2" >>"$samples"
    printf '%s %s restore: restored files differ from PGDATA (%s)\n' "$1" "$2" \
      "$(diff "$work/source.manifest" "$work/restored.manifest" | head -3 | tr '\n' ' ')" >>"$errors"
  fi
  rm -rf "$3"
}

flag_for() { case $1 in none) ;; gzip) echo --gzip ;; *) echo "--$1" ;; esac; }
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
