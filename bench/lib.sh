# bench/lib.sh — what the benchmark scripts share: moto and a throw-away PostgreSQL 15 on loopback,
# timed runs, and cleanup. Sourced by bench/run.sh and bench/backup.sh after they set `work` (a
# private directory under /tmp), `venv`, `PGBIN` and `log`.

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# Credentials and settings every S3 client here uses against moto.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

moto_pid=""
pg_started=""
sidecar_pid=""

bench_cleanup() {
  set +e
  if [[ -n $sidecar_pid ]]; then kill "$sidecar_pid" 2>/dev/null; wait "$sidecar_pid" 2>/dev/null; fi
  if [[ -n $pg_started ]]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1
  fi
  if [[ -n $moto_pid ]]; then
    kill "$moto_pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$moto_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$moto_pid" 2>/dev/null
    wait "$moto_pid" 2>/dev/null
  fi
  rm -rf "$work"
}

# Starts moto on a free port with one bucket, `bench`; sets EP.
start_moto() {
  local port
  port="$(free_port)"
  EP="http://127.0.0.1:$port"
  timeout "${BENCH_WATCHDOG:-7200}" "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 150); do
    curl -s -o /dev/null "$EP/" && break
    kill -0 "$moto_pid" 2>/dev/null || { log "moto died: $(tail -5 "$work/moto.log")"; exit 1; }
    sleep 0.2
  done
  curl -s -o /dev/null "$EP/" || { log "moto did not answer on $EP"; exit 1; }
  curl -sf -X PUT "$EP/bench" >/dev/null
  log "moto on $EP"
}

# initdb + start in $work/pg with fsync off and the given extra postgresql.conf lines; sets pg_port.
start_postgres() {
  mkdir -p "$work/pg" && chown postgres: "$work/pg"
  pg_port="$(free_port)"
  runuser -u postgres -- "$PGBIN/initdb" -D "$work/pg/data" -A trust --no-sync -E UTF8 --locale=C -U postgres >/dev/null
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $pg_port"
    echo "unix_socket_directories = '$work/pg'"
    echo "fsync = off"
    echo "wal_level = replica"
    printf '%s\n' "$@"
  } >>"$work/pg/data/postgresql.conf"
  (cd "$work/pg" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w start >/dev/null)
  pg_started=1
}

# run_timed TOOL COMP OP [--as-postgres] CMD... : appends `tool comp op seconds rss_kib status` to
# $samples (and a line to $errors on failure); the command's stdout is kept in $work/stdout.out.
run_timed() {
  local tool=$1 comp=$2 op=$3; shift 3
  local prefix=()
  if [[ $1 == --as-postgres ]]; then prefix=(runuser -u postgres --); shift; fi
  local tf="$work/time.out" ef="$work/stderr.out" rc=0
  (cd "$work" && "${prefix[@]}" /usr/bin/time -f "%e %M" -o "$tf" "$@" >"$work/stdout.out" 2>"$ef") || rc=$?
  local t m
  read -r t m < <(tail -n 1 "$tf")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$comp" "$op" "$t" "$m" "$rc" >>"$samples"
  if ((rc != 0)); then
    printf '%s %s %s exit %s: %s\n' "$tool" "$comp" "$op" "$rc" "$(grep -v '^Command exited' "$ef" | tail -n 1)" >>"$errors"
  fi
  return $rc
}

flag_for() {  # same spelling for cloud-wal and barman-cloud
  case $1 in none) ;; gzip) echo --gzip ;; *) echo "--$1" ;; esac
}
