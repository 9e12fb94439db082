#!/usr/bin/env bash
# bench/run.sh — per-call cost of archiving/restoring one real 16 MiB WAL segment to object storage.
#
#   bench/run.sh            # N=5 segments; or N=10 bench/run.sh
#
# Compares, for the compressions none/gzip/zstd/lz4:
#   cloud-wal-archive / cloud-wal-restore      ($CLOUD_WAL_BIN, else .build/release/cloud-wal, else PATH)
#   barman-cloud-wal-archive / -wal-restore    (3.19.1 from .venv-test, own --spool-dir)
#   pgbackrest archive-push / archive-get      (Debian 2.45, posix repository, compress-type none/gz/zst/lz4)
#   curl -T / curl -o                          (unsigned PUT/GET: the floor for one HTTP transfer)
#   cloud-wal serve (the sidecar)              (wget /wal-push/SEG and /wal-fetch/SEG?dest=..., as
#                                               archive_command/restore_command call it; S3 and file://)
# Ours, barman and curl talk to a moto S3 server on a free 127.0.0.1 port. Segments come from a
# throw-away PostgreSQL 15 (initdb as postgres, pgbench -i, a short pgbench run). Each call is timed
# with /usr/bin/time -f "%e %M"; the table shows mean and median wall time over the N segments and
# the peak RSS. A tool that fails is reported as a FAILED row, the run goes on.
# Output: Markdown table on stdout and in bench/results/latest.md (raw samples: bench/results/latest.tsv).
# Installs what is missing (apt: pgbackrest; the test venv via scripts/install-deps.sh). Everything it
# starts listens on 127.0.0.1 only and is stopped on exit. Must run as root (it runs PostgreSQL and
# pgbackrest as the postgres user).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-5}"
COMPRESSIONS=(${BENCH_COMPRESSIONS:-none gzip zstd lz4})
venv="${CLOUD_WAL_TEST_VENV:-$repo/.venv-test}"
PGBIN=/usr/lib/postgresql/15/bin
results="$repo/bench/results"
log() { printf 'bench: %s\n' "$*" >&2; }

[[ $(id -u) -eq 0 ]] || { log "run as root (PostgreSQL and pgbackrest run as the postgres user)"; exit 1; }

# ---- dependencies ---------------------------------------------------------------------------------
if [[ ! -x $venv/bin/moto_server || ! -x $venv/bin/barman-cloud-wal-archive ]]; then
  log "installing the test venv (scripts/install-deps.sh)"
  bash "$repo/scripts/install-deps.sh" >&2
fi
apt_missing=()
command -v pgbackrest >/dev/null || apt_missing+=(pgbackrest)
[[ -x /usr/bin/time ]] || apt_missing+=(time)
command -v curl >/dev/null || apt_missing+=(curl)
[[ -x $PGBIN/initdb ]] || apt_missing+=(postgresql-15)
if ((${#apt_missing[@]})); then
  log "apt-get install ${apt_missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

ours="${CLOUD_WAL_BIN:-}"
if [[ -z $ours ]]; then
  if [[ -x $repo/.build-shipped/release/cloud-wal ]]; then ours="$repo/.build-shipped/release/cloud-wal"
  elif [[ -x $repo/.build/release/cloud-wal ]]; then ours="$repo/.build/release/cloud-wal"
  else ours="$(command -v cloud-wal || true)"; fi
fi

# ---- scratch space and cleanup --------------------------------------------------------------------
work="$(mktemp -d /tmp/cloudwal-bench-XXXXXX)"
chmod 755 "$work"
source "$repo/bench/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

start_moto

# ---- WAL segments from a throw-away PostgreSQL 15 --------------------------------------------------
start_postgres "synchronous_commit = off" "archive_mode = on" "archive_command = '/bin/true'" \
  "checkpoint_timeout = '1h'" "max_wal_size = '4GB'"
PSQL=(psql -X -At -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres)
pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -i -q -s 10 postgres >/dev/null 2>&1
first_run_seg="$("${PSQL[@]}" -c 'select pg_walfile_name(pg_current_wal_lsn())')"
# TPC-B traffic until at least N segments were completed by it (the realistic kind of WAL).
for _ in $(seq 1 40); do
  pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -n -c 2 -j 2 -T 3 postgres >/dev/null 2>&1
  cur="$("${PSQL[@]}" -c 'select pg_walfile_name(pg_current_wal_lsn())')"
  done_count=$(( 16#${cur:16:8} - 16#${first_run_seg:16:8} ))
  ((done_count >= N + 1)) && break
done
"${PSQL[@]}" -c 'select pg_switch_wal()' >/dev/null
cur="$("${PSQL[@]}" -c 'select pg_walfile_name(pg_current_wal_lsn())')"
mkdir -p "$work/segs"
# The N newest completed segments (everything in pg_wal sorting below the current one).
completed=()
for f in "$work/pg/data/pg_wal"/*; do
  f="${f##*/}"
  [[ $f =~ ^[0-9A-F]{24}$ && $f < $cur ]] && completed+=("$f")
done
segs=("${completed[@]: -N}")
((${#segs[@]} == N)) || { log "only ${#segs[@]} completed segments"; exit 1; }
for s in "${segs[@]}"; do cp "$work/pg/data/pg_wal/$s" "$work/segs/$s"; done
chmod -R a+rX "$work/segs"
log "segments: ${segs[0]} .. ${segs[-1]} ($(du -sh "$work/segs" | cut -f1))"

# ---- measurement ----------------------------------------------------------------------------------
samples="$work/samples.tsv"   # tool compression op seconds rss_kib status
: >"$samples"
errors="$work/errors.txt"
: >"$errors"

# Marks a restore whose bytes differ from the original as failed.
verify() {
  local tool=$1 comp=$2 seg=$3 got=$4
  if ! cmp -s "$work/segs/$seg" "$got"; then
    printf '%s\t%s\t%s\t0\t0\t%s\n' "$tool" "$comp" "restore" "99" >>"$samples"
    printf '%s %s restore: %s differs from the original\n' "$tool" "$comp" "$seg" >>"$errors"
  fi
  rm -f "$got"
}


mkdir -p "$work/out" && chown postgres: "$work/out"
# /usr/bin/time writes its figures as whoever runs the tool (postgres for pgbackrest).
touch "$work/time.out" && chmod 666 "$work/time.out"

bench_s3_tool() {  # NAME ARCHIVE_CMD RESTORE_CMD [restore extra args]
  local name=$1 archive=$2 restore=$3; shift 3
  local extra=("$@") comp seg
  for comp in "${COMPRESSIONS[@]}"; do
    local url="${url_base:-s3://bench}/$name-$comp" flag
    flag=$(flag_for "$comp")
    log "$name $comp"
    local ok=1
    for seg in "${segs[@]}"; do
      run_timed "$name" "$comp" archive "$archive" --endpoint-url "$EP" $flag "$url" srv "$work/segs/$seg" || { ok=0; break; }
    done
    ((ok)) || continue
    for seg in "${segs[@]}"; do
      local spool=()
      if ((${#extra[@]})); then mkdir -p "$work/spool-$name"; spool=("${extra[@]}" "$work/spool-$name"); fi
      run_timed "$name" "$comp" restore "$restore" "${spool[@]}" --endpoint-url "$EP" "$url" srv "$seg" "$work/out/$seg" || break
      verify "$name" "$comp" "$seg" "$work/out/$seg"
    done
  done
}

# cloud-wal (dispatches on argv[0])
if [[ -n $ours && -x $ours ]]; then
  mkdir -p "$work/bin"
  ln -s "$(readlink -f "$ours")" "$work/bin/cloud-wal-archive"
  ln -s "$(readlink -f "$ours")" "$work/bin/cloud-wal-restore"
  bench_s3_tool cloud-wal "$work/bin/cloud-wal-archive" "$work/bin/cloud-wal-restore"
  # The same binary on the file:// backend: the like-for-like row for pgbackrest's posix repository.
  # Each compression gets its own archive root, which (by design) must exist beforehand.
  for comp in "${COMPRESSIONS[@]}"; do mkdir -p "$work/fsrepo/cloud-wal-file-$comp"; done
  url_base="file://$work/fsrepo" bench_s3_tool cloud-wal-file "$work/bin/cloud-wal-archive" "$work/bin/cloud-wal-restore"
else
  log "cloud-wal binary not found (set CLOUD_WAL_BIN or build .build/release/cloud-wal)"
  printf 'cloud-wal\tnone\tarchive\t0\t0\t127\n' >>"$samples"
  echo "cloud-wal: binary not found" >>"$errors"
fi

# The sidecar: one `cloud-wal serve` per compression, called through wget exactly as
# archive_command/restore_command would. Its PGDATA holds hard links to the segments; restores go
# to pg_wal/RECOVERYXLOG via ?dest=. The server's own peak RSS is recorded as a `server_rss` sample
# (the table's RSS column is wget's).
start_sidecar() {  # LOG URL [serve options...]; sets sidecar_pid and sidecar_port
  local logf=$1; shift
  sidecar_port="$(free_port)"
  # Loopback, a throw-away cluster: the explicit opt-out keeps the wget lines as WAL-E users have them.
  CLOUD_WAL_ALLOW_UNAUTHENTICATED=true CLOUD_WAL_MAX_CONNECTIONS=256 \
    CLOUD_WAL_LISTEN_ADDRESS=127.0.0.1 WALE_LISTEN_PORT="$sidecar_port" "$ours" serve -q "$@" >"$logf" 2>&1 &
  sidecar_pid=$!
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$sidecar_port/ping" && return 0
    kill -0 "$sidecar_pid" 2>/dev/null || break
    sleep 0.1
  done
  log "cloud-wal serve did not start: $(tail -n 3 "$logf")"
  return 1
}

stop_sidecar() {
  kill -TERM "$sidecar_pid" 2>/dev/null
  wait "$sidecar_pid" 2>/dev/null
  sidecar_pid=""
}

bench_sidecar() {  # NAME URL_BASE [serve options...]
  local name=$1 base=$2; shift 2
  local comp seg flag
  for comp in "${COMPRESSIONS[@]}"; do
    flag=$(flag_for "$comp")
    local data="$work/sc-$name-$comp/data" url="$base/$name-$comp"
    mkdir -p "$data/pg_wal" "$data/restored"
    for seg in "${segs[@]}"; do ln -f "$work/segs/$seg" "$data/pg_wal/$seg"; done
    [[ $url == file://* ]] && mkdir -p "${url#file://}"
    log "$name $comp"
    if ! PGDATA="$data" start_sidecar "$work/sc-$name-$comp.log" "$@" $flag "$url" srv; then
      printf '%s	%s	archive	0	0	97
' "$name" "$comp" >>"$samples"
      echo "$name $comp: cloud-wal serve did not start" >>"$errors"
      continue
    fi
    local ok=1
    for seg in "${segs[@]}"; do
      run_timed "$name" "$comp" archive wget -q -O /dev/null "http://127.0.0.1:$sidecar_port/wal-push/$seg" || { ok=0; break; }
    done
    if ((ok)); then
      for seg in "${segs[@]}"; do
        run_timed "$name" "$comp" restore wget -q -O /dev/null \
          "http://127.0.0.1:$sidecar_port/wal-fetch/$seg?dest=pg_wal/RECOVERYXLOG" || break
        # As PostgreSQL asks: the sidecar writes only PostgreSQL's names directly in pg_wal.
        verify "$name" "$comp" "$seg" "$data/pg_wal/RECOVERYXLOG"
      done
    fi
    printf '%s\t%s\tserver_rss\t0\t%s\t0\n' "$name" "$comp" \
      "$(awk '/^VmHWM/ {print $2}' "/proc/$sidecar_pid/status" 2>/dev/null || echo 0)" >>"$samples"
    stop_sidecar
  done
}

# Sustained throughput with 4 pushes at a time (what a busy primary with a parallel archiver, or
# several clusters, would send): all N segments into a fresh archive, total wall time recorded as
# one `burst4` sample per tool. Uncompressed.
bench_burst() {  # NAME URL_BASE [serve options...]
  local name=$1 base=$2; shift 2
  local data="$work/burst-$name/data" url="$base/$name-burst" seg
  mkdir -p "$data/pg_wal"
  for seg in "${segs[@]}"; do ln -f "$work/segs/$seg" "$data/pg_wal/$seg"; done
  [[ $url == file://* ]] && mkdir -p "${url#file://}" "${url#file://}-cli"
  log "$name burst (4 at a time)"
  PGDATA="$data" start_sidecar "$work/burst-$name.log" "$@" "$url" srv || return 0
  run_timed "$name" none burst4 sh -c \
    "printf '%s\n' ${segs[*]} | xargs -P 4 -I{} wget -q -O /dev/null http://127.0.0.1:$sidecar_port/wal-push/{}" || true
  stop_sidecar
  run_timed "$name-cli" none burst4 sh -c \
    "printf '%s\n' ${segs[*]} | xargs -P 4 -I{} $work/bin/cloud-wal-archive $* $url-cli srv $work/segs/{}" || true
}

if [[ -n $ours && -x $ours ]]; then
  bench_sidecar cloud-wal-sidecar "s3://bench" --endpoint-url "$EP"
  bench_sidecar cloud-wal-sidecar-file "file://$work/fsrepo"
  bench_burst cloud-wal-sidecar "s3://bench" --endpoint-url "$EP"
  bench_burst cloud-wal-sidecar-file "file://$work/fsrepo"
fi

# barman-cloud 3.19.1, restore with its own spool dir
bench_s3_tool barman-cloud "$venv/bin/barman-cloud-wal-archive" "$venv/bin/barman-cloud-wal-restore" --spool-dir

# pgbackrest, posix repository, one repository per compress-type
mkdir -p "$work/pgbr" && chown postgres: "$work/pgbr"
for comp in "${COMPRESSIONS[@]}"; do
  case $comp in none) ct=none ;; gzip) ct=gz ;; zstd) ct=zst ;; lz4) ct=lz4 ;; *) continue ;; esac
  conf="$work/pgbr/$comp.conf"
  cat >"$conf" <<EOF
[global]
repo1-type=posix
repo1-path=$work/pgbr/repo-$comp
log-path=$work/pgbr/log
lock-path=$work/pgbr/lock
spool-path=$work/pgbr/spool
log-level-console=warn
log-level-file=off
compress-type=$ct
[bench]
pg1-path=$work/pg/data
pg1-port=$pg_port
pg1-socket-path=$work/pg
EOF
  chown postgres: "$conf"
  log "pgbackrest $comp"
  if ! runuser -u postgres -- pgbackrest --config="$conf" --stanza=bench stanza-create >"$work/stanza.out" 2>&1; then
    printf 'pgbackrest\t%s\tarchive\t0\t0\t98\n' "$comp" >>"$samples"
    echo "pgbackrest $comp stanza-create: $(tail -n 1 "$work/stanza.out")" >>"$errors"
    continue
  fi
  ok=1
  for seg in "${segs[@]}"; do
    run_timed pgbackrest "$comp" archive --as-postgres pgbackrest --config="$conf" --stanza=bench archive-push "$work/segs/$seg" || { ok=0; break; }
  done
  ((ok)) || continue
  for seg in "${segs[@]}"; do
    run_timed pgbackrest "$comp" restore --as-postgres pgbackrest --config="$conf" --stanza=bench archive-get "$seg" "$work/out/$seg" || break
    verify pgbackrest "$comp" "$seg" "$work/out/$seg"
  done
done

# curl floor: one unsigned PUT / GET of the same file
log "curl"
for seg in "${segs[@]}"; do
  # public-read so the GET below can stay unsigned too (moto refuses anonymous GETs of private objects)
  run_timed curl none archive curl -sS -f -H 'x-amz-acl: public-read' -T "$work/segs/$seg" "$EP/bench/curl/$seg" || break
done
for seg in "${segs[@]}"; do
  run_timed curl none restore curl -sS -f -o "$work/out/$seg" "$EP/bench/curl/$seg" || break
  verify curl none "$seg" "$work/out/$seg"
done

# ---- report ---------------------------------------------------------------------------------------
mkdir -p "$results"
cp "$samples" "$results/latest.tsv"
{
  printf '# WAL archive/restore per call (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf '%s segments of 16 MiB (%s .. %s, pgbench TPC-B), moto on loopback, %s, %s cores.\n' \
    "$N" "${segs[0]}" "${segs[-1]}" "$(uname -r)" "$(nproc)"
  printf 'cloud-wal, barman-cloud and curl: S3 API on moto (HTTP, loopback); pgbackrest and cloud-wal-file: posix repository / file:// on local disk (no network).\n'
  printf 'cloud-wal: %s. barman-cloud %s. %s.\n\n' "${ours:-not found}" \
    "$("$venv/bin/python" -m pip show barman 2>/dev/null | sed -n 's/^Version: //p')" \
    "$(pgbackrest version 2>/dev/null || echo 'pgbackrest ?')"
  python3 "$repo/bench/report.py" "$samples" "${COMPRESSIONS[@]}"
  if [[ -s $errors ]]; then
    printf '\nFailures:\n\n'
    sed 's/^/- /' "$errors"
  fi
} | tee "$results/latest.md"
