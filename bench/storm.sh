#!/usr/bin/env bash
# bench/storm.sh — can the archiver keep up? A WAL storm, a backlog drain and a replay, per tool,
# against a local disk and against S3 seen through a simulated cloud link (bench/shaper.py).
#
#   bench/storm.sh                          # the whole matrix (about two hours on 2 cores)
#   LOAD_SECS=10 DRAIN_MAX=30 CAPACITY_SEGS=40 REPLAY_SEGS=16 bench/storm.sh   # a quick look
#   ONLY='^(cp|ours-1-file)$' PHASES=storm bench/storm.sh                    # a few configurations
#
# Phases (PHASES, default "proxy storm capacity replay"):
#   proxy     the shaping proxy with no delay and no cap against a direct connection (16 MiB PUT/GET
#             with curl, and raw aggregate throughput), then shaped, so it is shown not to be the
#             bottleneck and to shape as configured.
#   storm     per configuration a fresh PostgreSQL 15 (archive_mode on), the same insert-heavy
#             pgbench load for LOAD_SECS, sampled every second (WAL written, archived_count,
#             failed_count, .ready backlog), then the time until the backlog is gone (at most
#             DRAIN_MAX s); then every segment from the first to pg_stat_archiver.last_archived_wal
#             must be in the store, once.
#   capacity  archive_command empty (PostgreSQL keeps the WAL) while CAPACITY_SEGS segments pile up,
#             then set and reloaded: the drain time and MiB/s against the link's limit
#             (connections x RATE_MIBPS), through the proxy, plus unshaped rows for the machine's bound.
#   replay    a pg_basebackup, then REPLAY_SEGS segments (64 = 1 GiB) of WAL, stored by every tool;
#             a recovery (restore_command only) per tool, timed until PostgreSQL leaves recovery,
#             and checked for the primary's row count.
# Knobs: LOAD_SECS=60 DRAIN_MAX=240 CLIENTS=2 CAPACITY_SEGS=200 REPLAY_SEGS=64 RTT_MS=30 RATE_MIBPS=50
#   S3_BACKENDS="moto seaweed" (seaweed only when `weed` is installed) ONLY=<regex of config names>
#   OURS_LA_FLAGS="--parallel" (look-ahead option) CLOUD_WAL_BIN=<binary> PGBR_COMPRESS=none
# Output: bench/results/storm-<UTC timestamp>/ with samples.csv, storm.tsv, capacity.tsv,
#   replay.tsv, proxy.tsv, backlog.png, report.md (also printed), logs/.
# Everything listens on 127.0.0.1, is started here and stopped on exit (traps). Run as root:
# PostgreSQL, pgBackRest and the sidecar run as the postgres user.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf 'storm: %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "run as root (PostgreSQL and pgBackRest run as the postgres user)"; exit 1; }

LOAD_SECS="${LOAD_SECS:-60}"
DRAIN_MAX="${DRAIN_MAX:-240}"
CLIENTS="${CLIENTS:-2}"
CAPACITY_SEGS="${CAPACITY_SEGS:-200}"
REPLAY_SEGS="${REPLAY_SEGS:-64}"
RTT_MS="${RTT_MS:-30}"
RATE_MIBPS="${RATE_MIBPS:-50}"
PHASES="${PHASES:-proxy storm capacity replay}"
ONLY="${ONLY:-.}"
OURS_LA_FLAGS="${OURS_LA_FLAGS:---parallel}"
PGBR_COMPRESS="${PGBR_COMPRESS:-none}"
venv="${CLOUD_WAL_TEST_VENV:-$repo/.venv-test}"
bvenv="${CLOUD_WAL_BENCH_VENV:-$repo/bench/.venv}"
PGBIN=/usr/lib/postgresql/15/bin

export BENCH_WATCHDOG=14400  # moto's watchdog: a full run takes about two hours
bash "$repo/bench/install-deps.sh"
weed=""
for w in "$venv/bin/weed" "$bvenv/bin/weed"; do [[ -x $w ]] && { weed=$w; break; }; done
S3_BACKENDS="${S3_BACKENDS:-moto${weed:+ seaweed}}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
out="$repo/bench/results/storm-$stamp"
mkdir -p "$out/logs"

# ---- scratch space, the binary, cleanup ------------------------------------------------------------
work="$(mktemp -d /tmp/cloudwal-storm-XXXXXX)"
chmod 755 "$work"
source "$repo/bench/lib.sh"

extra_pids=()   # proxies, SeaweedFS: stopped by storm_cleanup
weed_pid=""
storm_cleanup() {
  set +e
  [[ -n ${sampler_pgbench:-} ]] && kill "$sampler_pgbench" 2>/dev/null
  declare -F stop_rec_pg >/dev/null && stop_rec_pg
  if [[ -n $weed_pid ]]; then
    kill "$weed_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$weed_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$weed_pid" 2>/dev/null; wait "$weed_pid" 2>/dev/null
  fi
  for p in "${extra_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${extra_pids[@]}"; do wait "$p" 2>/dev/null; done
  # the shapers' byte counters, then the scratch space (lib.sh stops moto, PostgreSQL, the sidecar)
  cat "$work"/shaper-*.err >"$out/logs/shapers.txt" 2>/dev/null
  bench_cleanup
}
trap storm_cleanup EXIT
trap 'exit 130' INT TERM
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

src_bin="${CLOUD_WAL_BIN:-}"
if [[ -z $src_bin ]]; then
  for b in "$repo/.build-shipped/release/cloud-wal" "$repo/.build/shipped/cloud-wal" "$repo/.build/release/cloud-wal"; do
    [[ -x $b ]] && { src_bin=$b; break; }
  done
fi
[[ -x ${src_bin:-} ]] || { log "no cloud-wal binary (set CLOUD_WAL_BIN)"; exit 1; }
# A private copy: the lead rebuilds the shared one while this runs. postgres must execute it.
mkdir -p "$work/bin"
cp "$src_bin" "$work/bin/cloud-wal"
ln -s cloud-wal "$work/bin/cloud-wal-archive"
ln -s cloud-wal "$work/bin/cloud-wal-restore"
chmod -R a+rX "$work/bin"
cw="$work/bin/cloud-wal"

# Look-ahead and pipelined restore arrived after this script: probe rather than trust --help.
mkdir -p "$work/probe"
has_lookahead=0
if "$cw" wal-archive --help 2>&1 | grep -q -- "$OURS_LA_FLAGS" ||
   "$cw" wal-archive $OURS_LA_FLAGS 2 -t "file://$work/probe" srv >/dev/null 2>&1; then
  has_lookahead=1
fi
notes=()
((has_lookahead)) || notes+=("This cloud-wal has no \`wal-archive $OURS_LA_FLAGS N\`: the look-ahead rows (ours-la*) were skipped.")
bin_id="$("$cw" --version 2>/dev/null | head -n 1) ($(sha256sum "$src_bin" | cut -c1-12), built $(date -u -r "$src_bin" '+%Y-%m-%d %H:%M UTC'))"
log "binary $src_bin: $bin_id; look-ahead: $has_lookahead"

# Every S3 client here signs with these; SeaweedFS is started with the same pair and checks each
# request's SigV4 signature (moto accepts any).
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

samples="$out/samples.csv"
echo "phase,config,t,state,wal_mib,archived,failed,ready" >"$samples"
printf 'config\tstore\twal_mib\tload_s\tarchived_load\tready_end\tdrain_s\tdrained\tready_left\tfailed\tstored\tmissing\tdups\n' >"$out/storm.tsv"
printf 'config\tstore\tconns\tsegs\tdrain_s\tdrained\tmib_s\tlink_mib_s\tfailed\tmissing\n' >"$out/capacity.tsv"
printf 'config\tstore\tsegs\tseconds\trows_ok\n' >"$out/replay.tsv"
printf 'backend\tpath\top\tmedian_s\tmib_s\n' >"$out/proxy.tsv"
want() { [[ $1 =~ $ONLY ]]; }
has_phase() { [[ " $PHASES " == *" $1 "* ]]; }

# ---- services: moto, SeaweedFS, the shaping proxies -------------------------------------------------
declare -A DIRECT SHAPED TLS TLSPASS  # backend -> endpoint: direct, through the link, the link over TLS, TLS unshaped

# SeaweedFS all-in-one on loopback. Every port it opens is given (it has defaults such as 8181 and
# 23646 that another engineer's run may hold); `timeout` is the watchdog should this shell die hard.
start_seaweed() {
  local s3 p
  s3="$(free_port)"
  local ports=()
  for p in master.port master.port.grpc volume.port volume.port.grpc filer.port filer.port.grpc \
           s3.port.grpc s3.port.iceberg s3.port.lance admin.port admin.port.grpc; do
    ports+=("-$p=$(free_port)")
  done
  mkdir -p "$work/seaweed"
  timeout 14400 "$weed" mini -dir="$work/seaweed" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$s3" \
    "${ports[@]}" -admin.ui=false -webdav=false -bucket=bench >"$out/logs/seaweed.log" 2>&1 &
  weed_pid=$!
  # Ready when a signed request for the bucket answers 200 (the bucket is made during start-up).
  for _ in $(seq 1 240); do
    if curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
         --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "http://127.0.0.1:$s3/bench?list-type=2&max-keys=1" |
       grep -q 200; then
      DIRECT[seaweed]="http://127.0.0.1:$s3"
      log "SeaweedFS on ${DIRECT[seaweed]}"
      return 0
    fi
    kill -0 "$weed_pid" 2>/dev/null || break
    sleep 0.5
  done
  log "SeaweedFS did not start: $(tail -n 3 "$out/logs/seaweed.log")"
  return 1
}

# start_shaper NAME UPSTREAM_HOSTPORT [shaper options]: sets shaper_port. (Not called in $(...):
# the pid must be recorded in this shell for the cleanup.)
start_shaper() {
  local name=$1 up=$2; shift 2
  python3 "$repo/bench/shaper.py" --upstream "$up" --port-file "$work/shaper-$name.port" "$@" \
    >/dev/null 2>"$work/shaper-$name.err" &
  extra_pids+=($!)
  for _ in $(seq 1 100); do [[ -s $work/shaper-$name.port ]] && break; sleep 0.05; done
  shaper_port=$(cat "$work/shaper-$name.port")
}

# A self-signed certificate for the TLS side of the proxy (pgBackRest only speaks HTTPS to S3 and is
# told not to verify it: repo1-storage-verify-tls=n).
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 2 \
  -keyout "$work/tls.key" -out "$work/tls.crt" >/dev/null 2>&1
link=(--rtt-ms "$RTT_MS" --rate-mibps "$RATE_MIBPS")

backends=()
for b in $S3_BACKENDS; do
  case $b in
    moto) start_moto; DIRECT[moto]=$EP; backends+=(moto) ;;
    seaweed)
      if [[ -z $weed ]]; then notes+=("SeaweedFS (\`weed\`) not installed: its rows were skipped.")
      elif start_seaweed; then backends+=(seaweed)
      else notes+=("SeaweedFS did not start: its rows were skipped.")
      fi ;;
    *) log "unknown S3 backend $b"; exit 3 ;;
  esac
done
for b in "${backends[@]}"; do
  hp="${DIRECT[$b]#http://}"
  start_shaper "$b" "$hp" "${link[@]}"
  SHAPED[$b]="http://127.0.0.1:$shaper_port"
  start_shaper "$b-tls" "$hp" "${link[@]}" --tls-cert "$work/tls.crt" --tls-key "$work/tls.key"
  TLS[$b]="127.0.0.1:$shaper_port"
  # TLS with no delay and no cap: pgBackRest's unshaped rows (the machine's bound) and the check
  start_shaper "$b-tlspass" "$hp" --rtt-ms 0 --rate-mibps 0 --tls-cert "$work/tls.crt" --tls-key "$work/tls.key"
  TLSPASS[$b]="127.0.0.1:$shaper_port"
  log "$b through the link: ${SHAPED[$b]} (TLS ${TLS[$b]})"
done

# ---- phase: the proxy is not the bottleneck -----------------------------------------------------------
sig=(-k --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY")
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# proxy_curl BACKEND PATHNAME ENDPOINT: CHECK_N signed PUTs and GETs of one 16 MiB object.
proxy_curl() {
  local b=$1 name=$2 ep=$3 i op t key
  key=$(tr -c 'a-z0-9\n' - <<<"$name")
  for op in put get; do
    for i in $(seq 1 "${CHECK_N:-5}"); do
      if [[ $op == put ]]; then
        curl -sf "${sig[@]}" -o /dev/null -w '%{time_total}\n' -T "$work/obj16" "$ep/bench/proxycheck/$key-$i"
      else
        curl -sf "${sig[@]}" -o "$work/obj16.got" -w '%{time_total}\n' "$ep/bench/proxycheck/$key-$i"
        cmp -s "$work/obj16" "$work/obj16.got" || { log "proxy check: $b $name GET differs"; return 1; }
      fi
    done >"$work/times.txt"
    t="$(median <"$work/times.txt")"
    printf '%s\t%s\t%s\t%s\t%s\n' "$b" "$name" "$op" "$t" "$(awk -v t="$t" 'BEGIN {printf "%.0f", 16 / t}')" >>"$out/proxy.tsv"
  done
}
if has_phase proxy; then
  log "phase proxy"
  head -c 16777216 /dev/urandom >"$work/obj16"
  for b in "${backends[@]}"; do
    start_shaper "$b-pass" "${DIRECT[$b]#http://}" --rtt-ms 0 --rate-mibps 0
    pass="http://127.0.0.1:$shaper_port"
    # interleaved twice so that a burst of load from the other engineers hits both paths alike
    for round in 1 2; do
      proxy_curl "$b" "direct" "${DIRECT[$b]}"
      proxy_curl "$b" "pass-through" "$pass"
      proxy_curl "$b" "TLS pass-through" "https://${TLSPASS[$b]}"
    done
    proxy_curl "$b" "shaped ${RTT_MS} ms ${RATE_MIBPS} MiB/s" "${SHAPED[$b]}"
    python3 "$repo/bench/storm_store.py" s3 "${DIRECT[$b]}" bench proxycheck/ "" "" --delete >/dev/null
  done
  python3 "$repo/bench/shaper_check.py" 8 64 --rtt-ms "$RTT_MS" --rate-mibps "$RATE_MIBPS" |
    awk -F'\t' '{print "sink\t" $2 "\t" $3 "\t" $4 "\t" $5}' >>"$out/proxy.tsv"
  column -t -s $'\t' "$out/proxy.tsv" >&2
fi

# ---- PostgreSQL, the load, the tools' configurations ---------------------------------------------------
# The storm: no checkpoint during the run (so WAL is never recycled under the archiver), full-page
# writes on, asynchronous commit, and enough clients to make WAL faster than one upload at a time.
storm_settings=(
  "synchronous_commit = off" "full_page_writes = on" "max_wal_size = '64GB'" "min_wal_size = '1GB'"
  "checkpoint_timeout = '1h'" "shared_buffers = '256MB'" "wal_buffers = '64MB'" "archive_mode = on"
  "log_checkpoints = on" "log_min_messages = warning"
)
PSQL=()
pg_fresh() {  # pg_fresh ARCHIVE_COMMAND: a new cluster in $work/pg; sets PSQL
  pg_stop
  start_postgres "archive_command = '$1'" "${storm_settings[@]}"
  PSQL=(psql -X -At -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres)
}
pg_stop() {
  if [[ -n $pg_started ]]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    [[ -n ${cfg:-} && -f $work/pg/server.log ]] && cp "$work/pg/server.log" "$out/logs/$cfg.pg.log"
    pg_started=""
  fi
  rm -rf "$work/pg"
}
rec_started=""
stop_rec_pg() {
  if [[ -n $rec_started ]]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/rec/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    rec_started=""
  fi
}

# Insert-heavy: 500 rows of 192 characters (96 random hex, twice) per transaction, plus a btree
# index. zstd -4 shrinks such segments about 3:1 (2.4:1 without the repetition, 4.3:1 with three
# copies, measured here), in the range of real WAL, so --zstd has work to do but no free lunch.
cat >"$work/storm.sql" <<'SQL'
insert into storm(pad) select repeat(md5(random()::text) || md5(random()::text) || md5(random()::text), 2) from generate_series(1, 500);
SQL
storm_schema() {
  "${PSQL[@]}" -c "create table storm (id bigserial primary key, pad text not null)"
}
ready_count() {
  local f=("$work/pg/data/pg_wal/archive_status/"*.ready)
  echo "${#f[@]}"
}
shopt -s nullglob

# The sidecar as the postgres user (it reads pg_wal, mode 0700). setpriv execs, so the pid is the
# server and SIGTERM reaches it.
start_sidecar() {  # start_sidecar PORT [serve args]
  local port=$1; shift
  # Loopback, a throw-away cluster: the explicit opt-out keeps the plain wget/curl lines.
  PGDATA="${sidecar_pgdata:-$work/pg/data}" CLOUD_WAL_ALLOW_UNAUTHENTICATED=true CLOUD_WAL_LISTEN_ADDRESS=127.0.0.1 WALE_LISTEN_PORT="$port" \
    setpriv --reuid=postgres --regid=postgres --init-groups "$cw" serve -q "$@" >"$out/logs/$cfg.sidecar.log" 2>&1 &
  sidecar_pid=$!
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/ping" && return 0
    kill -0 "$sidecar_pid" 2>/dev/null || break
    sleep 0.1
  done
  log "$cfg: cloud-wal serve did not start: $(tail -n 3 "$out/logs/$cfg.sidecar.log")"
  return 1
}
stop_sidecar() {
  if [[ -n $sidecar_pid ]]; then kill -TERM "$sidecar_pid" 2>/dev/null; wait "$sidecar_pid" 2>/dev/null || true; fi
  sidecar_pid=""
}

mkdir -p "$work/pgbr/log" "$work/store" && chown postgres: "$work/pgbr" "$work/pgbr/log" "$work/store"
# pgbr_conf NAME MODE STORE PGDATA [CONF]: writes $work/pgbr/CONF.conf (CONF defaults to NAME) for the
# repository NAME. MODE sync|async<N>; STORE posix|s3-<backend>.
pgbr_conf() {
  local name=$1 mode=$2 store=$3 pgdata=$4 cname=${5:-$1}
  local conf="$work/pgbr/$cname.conf"
  {
    echo "[global]"
    if [[ $store == posix ]]; then
      echo "repo1-type=posix"
      echo "repo1-path=$work/store/$name"
    else
      local b=${store#s3-}
      echo "repo1-type=s3"
      echo "repo1-path=/$name"
      echo "repo1-s3-bucket=bench"
      local hp=${TLS[$b]}
      [[ $name == *-direct-* ]] && hp=${TLSPASS[$b]}
      echo "repo1-s3-endpoint=${hp%:*}"
      echo "repo1-storage-port=${hp##*:}"
      echo "repo1-storage-verify-tls=n"
      echo "repo1-s3-region=us-east-1"
      echo "repo1-s3-uri-style=path"
      echo "repo1-s3-key=$AWS_ACCESS_KEY_ID"
      echo "repo1-s3-key-secret=$AWS_SECRET_ACCESS_KEY"
    fi
    echo "log-path=$work/pgbr/log"
    echo "lock-path=$work/pgbr/lock-$cname"
    echo "spool-path=$work/pgbr/spool-$cname"
    echo "log-level-console=warn"
    echo "log-level-file=info"
    echo "compress-type=$PGBR_COMPRESS"
    if [[ $mode == async* ]]; then
      echo "archive-async=y"
      echo "process-max=${mode#async}"
    fi
    echo "[bench]"
    echo "pg1-path=$pgdata"
    echo "pg1-port=${pg_port:-5432}"
    echo "pg1-socket-path=$work/pg"
  } >"$conf"
  chown postgres: "$conf"
  chmod 600 "$conf"
  echo "$conf"
}

# configure NAME: sets acmd (archive_command), store_check (args for storm_store.py), pre (a hook
# run once PostgreSQL is up: sidecar, stanza) and conns (connections it may use, for the link's
# limit). Returns 1 for a configuration this binary or run cannot do.
configure() {
  local name=$1 base comp="" ep="" url n
  # Each phase writes under its own name: SeaweedFS keeps a deleted prefix's folders, which
  # pgBackRest's stanza-create takes for a repository that is not empty.
  local key="$phase_tag-$name"
  [[ $name == *-zstd ]] && comp=--zstd
  base=${name%-zstd}
  pre="" conns=1 acmd=""
  case $base in
    *-s3-*)
      local b=${base##*-s3-}
      [[ -n ${SHAPED[$b]:-} ]] || return 1
      ep=${SHAPED[$b]}
      [[ $base == *-direct-* ]] && ep=${DIRECT[$b]}
      url="s3://bench/$key"
      store_check=(s3 "${DIRECT[$b]}" bench "$key/")
      store_label="s3-$b" ;;
    *)
      url="file://$work/store/$key"
      store_check=(file "$work/store/$key")
      store_label=file ;;
  esac
  mkdir -p "$work/store/$key" && chown postgres: "$work/store/$key"
  case $base in
    cp) acmd="test ! -f $work/store/$key/%f && cp %p $work/store/$key/%f"; store_label=file ;;
    ours-1-*) acmd="$cw wal-archive $comp ${ep:+--endpoint-url $ep }$url srv %p" ;;
    ours-la*)
      ((has_lookahead)) || return 1
      n=${base#ours-la}; n=${n%%-*}; conns=$n
      acmd="$cw wal-archive $OURS_LA_FLAGS $n $comp ${ep:+--endpoint-url $ep }$url srv %p" ;;
    ours-sidecar-*)
      sc_port="$(free_port)"
      acmd="wget -q -O /dev/null http://127.0.0.1:$sc_port/wal-push/%f"
      sc_args=($comp ${ep:+--endpoint-url "$ep"} "$url" srv)
      pre=sidecar conns=4 ;;
    barman-*) acmd="$venv/bin/barman-cloud-wal-archive $comp --endpoint-url $ep $url srv %p" ;;
    pgbr-*)
      local mode=${base#pgbr-}; mode=${mode%%-*}
      local st=${base#pgbr-$mode-}; st=${st#direct-}
      [[ $mode == async* ]] && conns=${mode#async}
      [[ $st == posix ]] && store_label=posix
      pgbr_cfg=$(pgbr_conf "$key" "$mode" "$st" "$work/pg/data")
      acmd="pgbackrest --config=$pgbr_cfg --stanza=bench archive-push %p"
      pre=stanza ;;
    *) log "unknown configuration $name"; return 1 ;;
  esac
}

run_pre() {
  case $pre in
    sidecar) start_sidecar "$sc_port" "${sc_args[@]}" ;;
    stanza)
      # pg1-port is only known now: rewrite it, then create the stanza (it asks PostgreSQL).
      sed -i "s/^pg1-port=.*/pg1-port=$pg_port/" "$pgbr_cfg"
      runuser -u postgres -- pgbackrest --config="$pgbr_cfg" --stanza=bench stanza-create \
        >"$out/logs/$cfg.stanza.log" 2>&1 || { log "$cfg: stanza-create failed: $(tail -n 2 "$out/logs/$cfg.stanza.log")"; return 1; } ;;
  esac
}
# pgBackRest's async archive-push runs on in the background after PostgreSQL stops: let it finish
# (it only pushes what was .ready) so it neither writes into the next configuration's time nor
# outlives the run; what is left after 20 s is ended by pid.
wait_pgbr_gone() {
  local conf=$1 pids
  for _ in $(seq 1 100); do
    pids=$(pgrep -f -- "--config=$conf" || true)
    [[ -z $pids ]] && return 0
    sleep 0.2
  done
  log "$cfg: ending pgBackRest processes left running: $pids"
  kill $pids 2>/dev/null || true
}
teardown() {
  stop_sidecar
  pg_stop
  [[ $pre == stanza ]] && wait_pgbr_gone "$pgbr_cfg"
  if [[ -d $work/pgbr/log ]]; then
    cat "$work/pgbr/log"/* >"$out/logs/$cfg.pgbackrest.log" 2>/dev/null || true
    rm -f "$work/pgbr/log"/*
  fi
  rm -rf "$work/pgbr/spool-$phase_tag-$cfg" "$work/store/$phase_tag-$cfg"
}

# One full sample as a CSV row: phase,config,t,state,wal_mib,archived,failed,ready
sample() {  # sample PHASE STATE T0 -> also sets s_wal s_arch s_fail s_ready
  local phase=$1 state=$2 t0=$3 now r
  now=$(date +%s.%N)
  r=$("${PSQL[@]}" -F, -c "select round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0')/1048576.0, 1), archived_count, failed_count from pg_stat_archiver")
  IFS=, read -r s_wal s_arch s_fail <<<"$r"
  s_ready=$(ready_count)
  printf '%s,%s,%.2f,%s,%s,%s,%s,%s\n' "$phase" "$cfg" "$(echo "$now - $t0" | bc)" "$state" "$s_wal" "$s_arch" "$s_fail" "$s_ready" >>"$samples"
}
now_s() { date +%s.%N; }
elapsed() { echo "$(now_s) - $1" | bc; }

# ---- phase: the storm -----------------------------------------------------------------------------------
run_storm() {
  cfg=$1
  want "$cfg" || return 0
  if ! configure "$cfg"; then log "$cfg: skipped"; return 0; fi
  log "storm $cfg"
  pg_fresh "$acmd"
  if ! run_pre; then teardown; printf '%s\t%s\tsetup failed\n' "$cfg" "$store_label" >>"$out/storm.tsv"; return 0; fi
  storm_schema
  lsn0=$("${PSQL[@]}" -c "select pg_current_wal_lsn()")
  local first_seg a0 t0 tl="" ready_end="" arch_end="" wal_end="" load_s drained=0 drain_s last_row=0 t r
  first_seg=$("${PSQL[@]}" -c "select pg_walfile_name(pg_current_wal_lsn())")
  a0=$("${PSQL[@]}" -c "select archived_count from pg_stat_archiver")
  t0=$(now_s)
  pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -n -f "$work/storm.sql" -c "$CLIENTS" -j "$CLIENTS" \
    -T "$LOAD_SECS" postgres >"$out/logs/$cfg.pgbench.log" 2>&1 &
  sampler_pgbench=$!
  sample storm load "$t0"
  while true; do
    t=$(elapsed "$t0")
    if [[ -z $tl ]] && ! kill -0 "$sampler_pgbench" 2>/dev/null; then
      wait "$sampler_pgbench" || log "$cfg: pgbench exited $? (see logs/$cfg.pgbench.log)"
      sampler_pgbench=""
      tl=$(now_s); load_s=$(echo "$tl - $t0" | bc)
      sample storm load-end "$t0"
      ready_end=$s_ready arch_end=$((s_arch - a0)) wal_end=$s_wal
      last_row=$t
    fi
    if [[ -n $tl ]]; then
      r=$(ready_count)
      if ((r == 0)); then
        drain_s=$(elapsed "$tl"); drained=1
        sample storm drained "$t0"
        break
      fi
      if (($(echo "$(elapsed "$tl") > $DRAIN_MAX" | bc))); then
        drain_s=$DRAIN_MAX
        sample storm timeout "$t0"
        break
      fi
    fi
    # a full sample every second; in the drain, a cheap look at archive_status every 0.1 s between
    if (($(echo "$t - $last_row >= 1" | bc))); then
      sample storm "$([[ -n $tl ]] && echo drain || echo load)" "$t0"
      last_row=$t
    fi
    sleep "$([[ -n $tl ]] && echo 0.1 || echo 0.25)"
  done
  local last failed
  IFS=, read -r last failed < <("${PSQL[@]}" -F, -c "select coalesce(last_archived_wal, ''), failed_count from pg_stat_archiver")
  local chk
  chk=$(python3 "$repo/bench/storm_store.py" "${store_check[@]}" "$first_seg" "${last:0:24}" --delete 2>&1 | tail -n 1)
  local stored=${chk#stored=}; stored=${stored%% *}
  local missing=${chk#*missing=}; missing=${missing%% *}
  local dups=${chk##*dups=}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cfg" "$store_label" "$wal_end" "$load_s" \
    "$arch_end" "$ready_end" "$drain_s" "$drained" "$s_ready" "$failed" "$stored" "$missing" "$dups" >>"$out/storm.tsv"
  log "$cfg: ${wal_end} MiB in ${load_s} s, archived $arch_end during the load, backlog $ready_end, drain ${drain_s} s$( ((drained)) || echo ' (not drained)'), failed $failed, $chk"
  teardown
}

storm_configs=(cp ours-1-file ours-la4-file ours-sidecar-file ours-1-file-zstd ours-la4-file-zstd
  pgbr-sync-posix pgbr-async2-posix pgbr-async4-posix)
for b in "${backends[@]}"; do
  storm_configs+=("ours-1-s3-$b" "ours-la4-s3-$b" "ours-sidecar-s3-$b" "ours-1-s3-$b-zstd" "ours-la4-s3-$b-zstd"
    "barman-s3-$b" "pgbr-sync-s3-$b" "pgbr-async2-s3-$b" "pgbr-async4-s3-$b")
done
if has_phase storm; then
  phase_tag=storm
  log "phase storm: ${#storm_configs[@]} configurations, ${LOAD_SECS} s load each, drain at most ${DRAIN_MAX} s"
  for c in "${storm_configs[@]}"; do run_storm "$c"; done
fi

# ---- phase: capacity (drain a backlog of CAPACITY_SEGS) --------------------------------------------------
# The backlog is made fast with 1800-byte rows (below the TOAST threshold, so WAL carries them
# whole); capacity rows are uncompressed, so every segment is 16 MiB on the wire whatever it holds.
cat >"$work/fill.sql" <<'SQL'
insert into fill(pad) select repeat('x', 1800) from generate_series(1, 10000);
SQL
run_capacity() {
  cfg=$1
  want "$cfg" || return 0
  if ! configure "$cfg"; then log "$cfg: skipped"; return 0; fi
  log "capacity $cfg"
  local real_cmd=$acmd
  # archive_mode on with no archive_command: PostgreSQL keeps every segment as .ready and waits.
  pg_fresh ""
  if ! run_pre; then teardown; return 0; fi
  "${PSQL[@]}" -c "create table fill (pad text)"
  lsn0=$("${PSQL[@]}" -c "select pg_current_wal_lsn()")
  local first_seg segs t0 drained=0 drain_s last_row=0 t
  first_seg=$("${PSQL[@]}" -c "select pg_walfile_name(pg_current_wal_lsn())")
  pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -n -f "$work/fill.sql" -c "$CLIENTS" -j "$CLIENTS" \
    -T 3600 postgres >"$out/logs/$cfg.capacity-pgbench.log" 2>&1 &
  sampler_pgbench=$!
  while (($(ready_count) < CAPACITY_SEGS)); do
    kill -0 "$sampler_pgbench" 2>/dev/null || { log "$cfg: the fill load stopped"; break; }
    sleep 0.2
  done
  kill "$sampler_pgbench" 2>/dev/null; wait "$sampler_pgbench" 2>/dev/null || true
  sampler_pgbench=""
  "${PSQL[@]}" -c "alter system set archive_command = '$real_cmd'"
  t0=$(now_s)
  "${PSQL[@]}" -c "select pg_reload_conf()" >/dev/null
  sample capacity released "$t0"
  local a_rel=$s_arch
  while true; do
    t=$(elapsed "$t0")
    if (($(ready_count) == 0)); then drain_s=$t; drained=1; sample capacity drained "$t0"; break; fi
    if (($(echo "$t > $DRAIN_MAX" | bc))); then drain_s=$DRAIN_MAX; sample capacity timeout "$t0"; break; fi
    if (($(echo "$t - $last_row >= 1" | bc))); then sample capacity drain "$t0"; last_row=$t; fi
    sleep 0.1
  done
  local last failed chk done_segs mib_s link
  IFS=, read -r last failed < <("${PSQL[@]}" -F, -c "select coalesce(last_archived_wal, ''), failed_count from pg_stat_archiver")
  chk=$(python3 "$repo/bench/storm_store.py" "${store_check[@]}" "$first_seg" "${last:0:24}" --delete 2>&1 | tail -n 1)
  # what was drained: PostgreSQL's own count (segments the last transactions completed after the
  # load was stopped are in it too)
  done_segs=$((s_arch - a_rel)); segs=$done_segs
  mib_s=$(echo "scale=1; $done_segs * 16 / $drain_s" | bc)
  link=$((conns * ${RATE_MIBPS%.*}))
  [[ $cfg == *-direct-* ]] && link="-"
  local missing=${chk#*missing=}; missing=${missing%% *}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cfg" "$store_label" "$conns" "$segs" "$drain_s" "$drained" \
    "$mib_s" "$link" "$failed" "$missing" >>"$out/capacity.tsv"
  log "$cfg: $segs segments in $drain_s s$( ((drained)) || echo " (not drained: $s_ready left)"), $mib_s MiB/s (link $link), failed $failed, $chk"
  teardown
}
capacity_configs=()
for b in "${backends[@]}"; do
  capacity_configs+=("ours-1-s3-$b" "ours-la4-s3-$b" "ours-la8-s3-$b" "pgbr-async4-s3-$b" "pgbr-async8-s3-$b"
    "ours-1-direct-s3-$b" "ours-la8-direct-s3-$b" "pgbr-async8-direct-s3-$b")
done
if has_phase capacity; then
  phase_tag=cap
  log "phase capacity: ${#capacity_configs[@]} configurations, $CAPACITY_SEGS segments each"
  for c in "${capacity_configs[@]}"; do run_capacity "$c"; done
fi

# ---- phase: replay (recover REPLAY_SEGS segments through restore_command) -----------------------------------
replay_tools=(cp ours-1-file ours-p8-file ours-sidecar-file pgbr-async4-posix)
for b in "${backends[@]}"; do
  replay_tools+=("ours-1-s3-$b" "ours-p8-s3-$b" "ours-sidecar-s3-$b" "barman-p8-s3-$b" "pgbr-async4-s3-$b")
done

# restore_cmd TOOL: the restore_command for the recovery in $work/rec/data.
restore_cmd() {
  local t=$1 b="" ep="" spool="$work/rec-spool/$1" p8=""
  mkdir -p "$spool" && chown postgres: "$spool"
  [[ $t == *-s3-* ]] && { b=${t##*-s3-}; ep="--endpoint-url ${SHAPED[$b]} "; }
  [[ $t == *-p8-* ]] && p8="-p 8 --spool-dir $spool "
  case $t in
    cp) echo "cp $work/replay/wal/%f %p" ;;
    # The sidecar (started by the replay loop on \$sc_port) fetches ahead CLOUD_WAL_FETCH_AHEAD (8).
    ours-sidecar-*) echo "wget -q -O /dev/null \"http://127.0.0.1:$sc_port/wal-fetch/%f?dest=%p\"" ;;
    ours-*-file) echo "$cw wal-restore $p8 file://$work/store/replay-ours-file srv %f %p" ;;
    ours-*-s3-*) echo "$cw wal-restore $p8$ep s3://bench/replay-ours-s3-$b srv %f %p" ;;
    barman-*) echo "$venv/bin/barman-cloud-wal-restore --parallel 8 --spool-dir $spool $ep s3://bench/replay-barman-s3-$b srv %f %p" ;;
    pgbr-*)
      local st=${t#pgbr-async4-}
      echo "pgbackrest --config=$(pgbr_conf "replay-pgbr-$st" async4 "$st" "$work/rec/data" "get-$st") --stanza=bench archive-get %f \"%p\"" ;;
  esac
}

run_replay() {
  cfg=replay-primary
  log "replay: primary, base backup, $REPLAY_SEGS segments"
  mkdir -p "$work/replay/wal" && chown -R postgres: "$work/replay"
  pg_fresh "test ! -f $work/replay/wal/%f && cp %p $work/replay/wal/%f"
  local sts=(posix) b st
  for b in "${backends[@]}"; do sts+=("s3-$b"); done
  for st in "${sts[@]}"; do
    mkdir -p "$work/store/replay-pgbr-$st" && chown postgres: "$work/store/replay-pgbr-$st"
    pgbr_cfg=$(pgbr_conf "replay-pgbr-$st" sync "$st" "$work/pg/data" "push-$st")
    pre=stanza; run_pre || return 0
  done
  storm_schema
  runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p "$pg_port" -U postgres -D "$work/replay/base" -X none -c fast
  local start_seg start_n cur rows
  start_seg=$(sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]\{24\}\)).*/\1/p' "$work/replay/base/backup_label")
  start_n=$((16#${start_seg:8:8} * 256 + 16#${start_seg:16:8}))
  pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -n -f "$work/storm.sql" -c "$CLIENTS" -j "$CLIENTS" \
    -T 3600 postgres >"$out/logs/replay.pgbench.log" 2>&1 &
  sampler_pgbench=$!
  while true; do
    cur=$("${PSQL[@]}" -c "select pg_walfile_name(pg_current_wal_lsn())")
    (( 16#${cur:8:8} * 256 + 16#${cur:16:8} - start_n >= REPLAY_SEGS )) && break
    kill -0 "$sampler_pgbench" 2>/dev/null || { log "replay: the load stopped"; break; }
    sleep 0.5
  done
  kill "$sampler_pgbench" 2>/dev/null; wait "$sampler_pgbench" 2>/dev/null || true
  sampler_pgbench=""
  "${PSQL[@]}" -c "select pg_switch_wal()" >/dev/null
  rows=$("${PSQL[@]}" -c "select count(*) from storm")
  for _ in $(seq 1 600); do (($(ready_count) == 0)) && break; sleep 0.5; done

  # Every tool's store gets the same segments (backup start on), pushed directly (not timed).
  local segs=() f
  for f in "$work/replay/wal"/*; do
    f=${f##*/}
    [[ $f =~ ^[0-9A-F]{24}$ && ! $f < $start_seg ]] && segs+=("$f")
  done
  log "replay: ${#segs[@]} segments ($start_seg ..), $rows rows; filling the stores"
  chmod -R a+rX "$work/replay"
  mkdir -p "$work/store/replay-ours-file" && chown postgres: "$work/store/replay-ours-file"
  push_all() {
    printf '%s\n' "${segs[@]}" | runuser -u postgres -- xargs -P 2 -I{} "$@" >>"$out/logs/replay.push.log" 2>&1 ||
      { log "replay: storing with $1 failed (logs/replay.push.log); its recovery will show it"; notes+=("Replay: storing the WAL with \`${1##*/}\` failed."); }
  }
  push_all "$cw" wal-archive "file://$work/store/replay-ours-file" srv "$work/replay/wal/{}"
  for b in "${backends[@]}"; do
    push_all "$cw" wal-archive --endpoint-url "${DIRECT[$b]}" "s3://bench/replay-ours-s3-$b" srv "$work/replay/wal/{}"
    push_all "$venv/bin/barman-cloud-wal-archive" --endpoint-url "${DIRECT[$b]}" "s3://bench/replay-barman-s3-$b" srv "$work/replay/wal/{}"
  done
  for st in "${sts[@]}"; do
    push_all pgbackrest --config="$work/pgbr/push-$st.conf" --stanza=bench archive-push "$work/replay/wal/{}"
  done
  pg_stop  # only now: pgBackRest's archive-push reads the primary's pg_control

  local t rcmd t0 secs ok got port
  for t in "${replay_tools[@]}"; do
    want "replay-$t" || continue
    cfg="replay-$t"
    rm -rf "$work/rec" "$work/rec-spool"
    mkdir -p "$work/rec" && cp -a "$work/replay/base" "$work/rec/data" && chown -R postgres: "$work/rec"
    chmod 700 "$work/rec/data"
    if [[ $t == ours-sidecar-* ]]; then
      local sc_url="file://$work/store/replay-ours-file" sc_ep=()
      [[ $t == *-s3-* ]] && { b=${t##*-s3-}; sc_url="s3://bench/replay-ours-s3-$b"; sc_ep=(--endpoint-url "${SHAPED[$b]}"); }
      sc_port=$(free_port)
      sidecar_pgdata="$work/rec/data" start_sidecar "$sc_port" "${sc_ep[@]}" "$sc_url" srv ||
        { printf '%s\t%s\t%s\tfailed\t0\n' "$t" "?" "${#segs[@]}" >>"$out/replay.tsv"; continue; }
    fi
    rcmd=$(restore_cmd "$t")
    port=$(free_port)
    {
      echo "port = $port"
      echo "unix_socket_directories = '$work/rec'"
      echo "archive_mode = off"
      echo "restore_command = '$rcmd'"
    } >>"$work/rec/data/postgresql.conf"
    touch "$work/rec/data/recovery.signal"
    log "replay $t"
    t0=$(now_s)
    (cd "$work/rec" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/rec/data" -l "$work/rec/server.log" start >/dev/null)
    rec_started=1
    secs=""
    while (($(echo "$(elapsed "$t0") < ${REPLAY_MAX:-900}" | bc))); do
      if [[ $(psql -X -At -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "select pg_is_in_recovery()" 2>/dev/null) == f ]]; then
        secs=$(elapsed "$t0"); break
      fi
      grep -q 'FATAL\|PANIC' "$work/rec/server.log" 2>/dev/null && break
      sleep 0.1
    done
    got=$(psql -X -At -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "select count(*) from storm" 2>/dev/null || echo "?")
    ok=0; [[ $got == "$rows" ]] && ok=1
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$([[ $t == *-s3-* ]] && echo "s3-${t##*-s3-}" || { [[ $t == pgbr* ]] && echo posix || echo file; })" \
      "${#segs[@]}" "${secs:-failed}" "$ok" >>"$out/replay.tsv"
    log "replay $t: ${secs:-failed} s, rows $got of $rows"
    cp "$work/rec/server.log" "$out/logs/replay-$t.pg.log"
    stop_rec_pg
    stop_sidecar
  done
  rm -rf "$work/rec" "$work/rec-spool" "$work/replay" "$work/store"/replay-*
  for b in "${backends[@]}"; do
    python3 "$repo/bench/storm_store.py" s3 "${DIRECT[$b]}" bench replay- "" "" --delete >/dev/null
  done
}
has_phase replay && run_replay

# ---- report --------------------------------------------------------------------------------------------------
{
  printf '# WAL storm, capacity and replay (%s) — development run unless said otherwise\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf -- '- Command: `%s`\n' "$(for v in LOAD_SECS DRAIN_MAX CLIENTS CAPACITY_SEGS REPLAY_SEGS RTT_MS RATE_MIBPS; do printf '%s=%s ' "$v" "${!v}"; done)S3_BACKENDS=\"${backends[*]}\" PHASES=\"$PHASES\" bench/storm.sh"
  printf -- '- Machine: %s cores, %s, load average at start %s, at end %s\n' "$(nproc)" "$(uname -r)" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf -- '- Link: %s ms round trip, %s MiB/s per connection and direction (bench/shaper.py); S3: %s\n' "$RTT_MS" "$RATE_MIBPS" "${backends[*]:-none}"
  printf -- '- cloud-wal: %s; barman-cloud %s; %s; PostgreSQL %s\n' "$bin_id" \
    "$("$venv/bin/python" -m pip show barman 2>/dev/null | sed -n 's/^Version: //p')" "$(pgbackrest version)" \
    "$("$PGBIN/postgres" --version | awk '{print $3}')"
  printf -- '- pgBackRest compress-type %s; ours and barman-cloud uncompressed unless the name ends in -zstd\n' "$PGBR_COMPRESS"
  for n in "${notes[@]}"; do printf -- '- %s\n' "$n"; done
} >"$work/header.md"
"$bvenv/bin/python" "$repo/bench/storm_report.py" "$out" "$work/header.md"
log "results in $out"
