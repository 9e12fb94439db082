#!/usr/bin/env bash
# End-to-end demo on a real PostgreSQL 15: archive WAL with cloud-wal-archive, take a base backup
# with cloud-wal backup, generate load, make a "mistake" (delete rows), then restore the backup to
# the moment before the mistake with cloud-wal restore and check the restored server has exactly
# the data of that moment. Everything lives in one temp dir and both servers listen on 127.0.0.1 only;
# they are stopped and the dir removed on exit (KEEP=1 keeps the dir for inspection).
#
#   scripts/demo.sh [--bin PATH_TO_cloud-wal] [--scale N] [--seconds N] [--archive-option OPT]...
#   e.g. scripts/demo.sh --archive-option --zstd
#
# The binary is found via --bin, $CLOUD_WAL_BIN, `cloud-wal` on PATH, /usr/local/bin, or the
# repo's .build/release, in that order.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pgbin="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
bin="${CLOUD_WAL_BIN:-}"
scale=5
seconds=5
archive_opts=""
while (($#)); do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --scale) scale="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --archive-option) archive_opts+=" $2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: FAIL: %s\n' "$*" >&2; exit 1; }

if [[ -z "$bin" ]]; then
  for candidate in "$(command -v cloud-wal || true)" /usr/local/bin/cloud-wal "$repo/.build-shipped/release/cloud-wal" "$repo/.build/release/cloud-wal"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then bin="$candidate"; break; fi
  done
fi
[[ -n "$bin" && -x "$bin" ]] || die "cloud-wal not found: run scripts/install.sh, or pass --bin PATH"
[[ -x "$pgbin/initdb" ]] || die "PostgreSQL 15 not found in $pgbin: run scripts/install-deps.sh"

# Server commands run as postgres when we are root (initdb refuses root), else as ourselves.
if [[ $(id -u) -eq 0 ]]; then
  as_pg() { runuser -u postgres -- "$@"; }
  owner=postgres
else
  as_pg() { "$@"; }
  owner="$(id -un)"
fi

# Not $TMPDIR: postgres must be able to reach the dir, and the socket path must stay short.
work="$(mktemp -d /tmp/cloud-wal-demo.XXXXXX)"
chmod 0755 "$work"
primary="$work/primary"; replica="$work/replica"; archive="$work/archive"

cleanup() {
  status=$?
  # Finish cleaning up even if stdout is a closed pipe or the user presses Ctrl-C again.
  trap '' PIPE INT TERM
  set +e
  for data in "$replica" "$primary"; do
    if [[ -f "$data/postmaster.pid" ]]; then
      as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 \
        || as_pg "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
  done
  if [[ "${KEEP:-0}" == 1 ]]; then echo "demo: kept $work"; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# archive_command runs as postgres: stage a copy of the binary where postgres can execute it.
mkdir -p "$work/bin" "$archive"
install -m 0755 "$bin" "$work/bin/cloud-wal"
ln -s cloud-wal "$work/bin/cloud-wal-archive"
ln -s cloud-wal "$work/bin/cloud-wal-restore"
chown -R "$owner" "$work"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
new_cluster_conf() { # data_dir port extra...
  local data="$1" port="$2"; shift 2
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$work'"
    echo "fsync = off"
    echo "wal_level = replica"
    printf '%s\n' "$@"
  } >>"$data/postgresql.conf"
}
sql() { psql -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"; }
start() { # data_dir
  as_pg "$pgbin/pg_ctl" -D "$1" -l "$1.log" -w -t 120 start >/dev/null \
    || { tail -n 30 "$1.log" >&2; die "server in $1 did not start"; }
}

# Waits until segment $1 is archived; fails at once if archive_command fails.
wait_archived() {
  local want="$1" archived lastwal failed deadline=$((SECONDS + 120))
  while :; do
    IFS='|' read -r archived lastwal failed < <(sql "$pport" \
      "select archived_count, coalesce(last_archived_wal,''), failed_count from pg_stat_archiver")
    ((failed == 0)) || { tail -n 20 "$primary.log" >&2; die "archive_command failed $failed time(s)"; }
    [[ ${#lastwal} -eq 24 && ! "$lastwal" < "$want" ]] && return 0
    ((SECONDS < deadline)) || { tail -n 20 "$primary.log" >&2; die "archiver did not reach $want in 120 s"; }
    sleep 0.2
  done
}

url="file://$archive"
step "cloud-wal: $("$work/bin/cloud-wal" --version 2>/dev/null || echo "$bin")"

step "primary: initdb, archive_command = cloud-wal-archive$archive_opts $url demo %p"
as_pg "$pgbin/initdb" -D "$primary" -A trust --no-sync -E UTF8 --locale=C -U postgres >/dev/null
pport="$(free_port)"
new_cluster_conf "$primary" "$pport" "archive_mode = on" \
  "archive_command = '$work/bin/cloud-wal-archive$archive_opts $url demo %p'"
start "$primary"
echo "listening on 127.0.0.1:$pport"

step "checking that archive_command works"
wait_archived "$(sql "$pport" 'select pg_walfile_name(pg_switch_wal())')"
echo "ok"

step "load: pgbench -i -s $scale"
pgbench -h 127.0.0.1 -p "$pport" -U postgres -i -q -s "$scale" postgres 2>&1 | tail -n 1

step "base backup: cloud-wal backup $url demo (while pgbench writes)"
pgbench -h 127.0.0.1 -p "$pport" -U postgres -n -c 2 -j 2 -T "$seconds" postgres >"$work/pgbench.out" 2>&1 &
load=$!
backup_id="$("$work/bin/cloud-wal" backup --immediate-checkpoint --lz4 -h 127.0.0.1 -p "$pport" -U postgres "$url" demo)" \
  || die "cloud-wal backup failed"
wait "$load" || die "pgbench failed: $(tail -n 3 "$work/pgbench.out")"
grep -E '^(number of transactions actually processed|tps)' "$work/pgbench.out"
echo "backup $backup_id: $(du -sh "$archive/demo/base/$backup_id" | cut -f1) in $(find "$archive/demo/base/$backup_id" -type f ! -name '.*' | wc -l) objects"

expected="$(sql "$pport" 'select count(*), sum(abalance) from pgbench_accounts')|$(sql "$pport" 'select count(*) from pgbench_history')"
target="$(sql "$pport" 'select clock_timestamp()')"
sleep 0.5
step "the mistake, after $target: delete from pgbench_history"
sql "$pport" 'delete from pgbench_history' >/dev/null
last="$(sql "$pport" 'select pg_walfile_name(pg_switch_wal())')"
echo "switched WAL; last complete segment $last"

step "waiting for the archiver to reach $last"
wait_archived "$last"
psql -X -h 127.0.0.1 -p "$pport" -U postgres -d postgres \
  -c 'select archived_count, last_archived_wal, failed_count from pg_stat_archiver'
echo "archive: $(find "$archive" -type f ! -name '.*' | wc -l) objects, $(du -sh "$archive" | cut -f1)"

step "restore: cloud-wal restore $url demo auto $replica --recovery-target-time '$target'"
"$work/bin/cloud-wal" restore "$url" demo auto "$replica" --recovery-target-time "$target" \
  --recovery-target-action promote || die "cloud-wal restore failed"
chown -R "$owner" "$replica"
grep -E '^(restore_command|recovery_target)' "$replica/postgresql.auto.conf" | sed 's/^/  /'
rport="$(free_port)"
new_cluster_conf "$replica" "$rport" "archive_mode = off"
start "$replica"
deadline=$((SECONDS + 120))
until [[ "$(sql "$rport" 'select pg_is_in_recovery()' 2>/dev/null || true)" == f ]]; do
  ((SECONDS < deadline)) || { tail -n 30 "$replica.log" >&2; die "restored server not promoted in 120 s"; }
  sleep 0.2
done
echo "promoted: $(grep -c 'restored log file' "$replica.log") segments restored from the archive"
grep -m1 'recovery stopping before' "$replica.log" | sed 's/^.*LOG: */  /' || true
got="$(sql "$rport" 'select count(*), sum(abalance) from pgbench_accounts')|$(sql "$rport" 'select count(*) from pgbench_history')"

step "compare (accounts count|sum(abalance)|history count) at the target time"
echo "primary before the mistake: $expected"
echo "restored:                   $got"
[[ "$got" == "$expected" ]] || die "the restored server differs from the primary at $target"
echo "OK"
