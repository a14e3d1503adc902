#!/usr/bin/env bash
# weir side by side with nginx under wrk, on loopback, plus weir's micro-benchmarks.
#
#   bash bench/run.sh            full run: 3 alternating rounds of 8s per system and scenario
#   bash bench/run.sh --smoke    one 1s round per scenario: proves the harness works, no timings
#
# Scenarios (each system configured with equivalent limits):
#   allowed      one client, limit never reached                       expect 200
#   rejected     one client, limit already spent                       expect 429
#   blocked      blocklisted client behind a trusted proxy / `deny`    expect 403
#   many         100,000 clients in X-Forwarded-For via a trusted proxy expect 200 (almost all)
#   redis        weir store.backend redis against memory (weir only; skipped when unsupported)
#   proxy        weir `upstream:` against nginx proxy_pass, one upstream   expect 200
#
# Environment (all optional):
#   WEIR_BIN            weir binary               (build-release/weir)
#   WEIR_BENCH_BIN      micro-benchmark binary    (weir_bench beside WEIR_BIN; skipped if absent)
#   WEIR_COPY_PROXY_BIN the proxy scenario's floor (weir_copy_proxy beside WEIR_BIN; skipped if
#                       absent): a proxy that only copies bytes, run in the same rounds
#   BENCH_DURATION      seconds per wrk run       (8; smoke 1)
#   BENCH_CONNECTIONS   wrk connections           (50; smoke 4)
#   BENCH_ROUNDS        runs per system           (3; smoke 1)
#   BENCH_WRK_THREADS   wrk threads               (1)
#   BENCH_PIN           1: servers on CPUs 0..n-2, wrk on CPU n-1, server threads = n-1;
#                       0: nothing pinned, server threads = nproc   (1 when nproc >= 2)
#   BENCH_SCENARIOS     which to run              ("allowed rejected blocked many redis proxy")
#   BENCH_OUT           where reports go          (bench/out)
#
# Exits non-zero when a server does not start, a scenario answers other than it claims, or wrk
# sends nothing. Speed is reported, never asserted.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=full
for arg in "$@"; do
  case "$arg" in
    --smoke) MODE=smoke ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench/run.sh: unknown argument \"$arg\" (use --smoke or --help)" >&2
      exit 2
      ;;
  esac
done

if [ "$MODE" = smoke ]; then
  DURATION=${BENCH_DURATION:-1}
  CONNECTIONS=${BENCH_CONNECTIONS:-4}
  ROUNDS=${BENCH_ROUNDS:-1}
else
  DURATION=${BENCH_DURATION:-8}
  CONNECTIONS=${BENCH_CONNECTIONS:-50}
  ROUNDS=${BENCH_ROUNDS:-3}
fi
WRK_THREADS=${BENCH_WRK_THREADS:-1}
SCENARIOS=${BENCH_SCENARIOS:-allowed rejected blocked many redis proxy}
OUT=${BENCH_OUT:-$ROOT/bench/out}
WEIR_BIN=${WEIR_BIN:-$ROOT/build-release/weir}
WEIR_BENCH_BIN=${WEIR_BENCH_BIN:-$(dirname "$WEIR_BIN")/weir_bench}
WEIR_COPY_PROXY_BIN=${WEIR_COPY_PROXY_BIN:-$(dirname "$WEIR_BIN")/weir_copy_proxy}
CPUS=$(nproc)
if [ "$CPUS" -ge 2 ]; then PIN=${BENCH_PIN:-1}; else PIN=0; fi

die() {
  echo "bench/run.sh: $*" >&2
  exit 1
}
note() { echo "bench/run.sh: $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Prerequisites

NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || [ ! -x /usr/sbin/nginx ] || NGINX=/usr/sbin/nginx
[ -n "$NGINX" ] || die "nginx not found: install Debian's nginx-light (bash build.sh bench does)"
command -v wrk >/dev/null || die "wrk not found: install Debian's wrk (bash build.sh bench does)"
[ -x "$WEIR_BIN" ] || die "weir binary \"$WEIR_BIN\" not found: build it (bash build.sh bench) \
or set WEIR_BIN"
[ "$DURATION" -ge 1 ] 2>/dev/null || die "BENCH_DURATION \"$DURATION\" is not a whole number >= 1"
[ "$CONNECTIONS" -ge "$WRK_THREADS" ] 2>/dev/null ||
  die "BENCH_CONNECTIONS \"$CONNECTIONS\" must be a number >= BENCH_WRK_THREADS ($WRK_THREADS)"
[ "$ROUNDS" -ge 1 ] 2>/dev/null || die "BENCH_ROUNDS \"$ROUNDS\" is not a whole number >= 1"

# Two cores shared by a server and its load generator: each on its own core, so wrk's work does
# not land on the server's time slice and the comparison is per server core.
if [ "$PIN" = 1 ]; then
  command -v taskset >/dev/null || die "BENCH_PIN=1 needs taskset (util-linux); or set BENCH_PIN=0"
  THREADS=$((CPUS - 1))
  SERVER_PIN=(taskset -c "$([ "$CPUS" -eq 2 ] && echo 0 || echo "0-$((CPUS - 2))")")
  CLIENT_PIN=(taskset -c "$((CPUS - 1))")
else
  THREADS=$CPUS
  SERVER_PIN=()
  CLIENT_PIN=()
fi

mkdir -p "$OUT/raw"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/weir-bench.XXXXXX")
chmod 755 "$WORK"

PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ] && [ -d "$WORK" ]; then
    note "failed; server logs:"
    for log in "$WORK"/*.log "$WORK"/*/error.log; do
      [ -s "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
  local keep=() pid
  for pid in "${PIDS[@]}"; do [ "$pid" = "$1" ] || keep+=("$pid"); done
  PIDS=("${keep[@]}")
}

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# A loopback port nothing listens on now. Servers retry with another if they lose the race.
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "found no free loopback port"
}

wait_for_port() {
  local port=$1 pid=$2
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# One request on its own connection; prints the status code (000 when there is no answer).
# Usage: http_status PORT [X-Forwarded-For value]
http_status() {
  local port=$1 xff=${2:-} fd line extra=""
  [ -n "$xff" ] && extra="X-Forwarded-For: $xff"$'\r\n'
  if ! exec {fd}<>"/dev/tcp/127.0.0.1/$port"; then
    echo 000
    return 0
  fi 2>/dev/null
  printf 'GET /api/data HTTP/1.1\r\nHost: bench\r\n%sConnection: close\r\n\r\n' "$extra" >&"$fd"
  line=""
  IFS= read -r -t 5 line <&"$fd" || true
  exec {fd}>&-
  line=${line%$'\r'}
  case "$line" in
    HTTP/1.?\ [0-9][0-9][0-9]*) echo "${line:9:3}" ;;
    *) echo 000 ;;
  esac
}

expect_status() {
  local what=$1 want=$2 port=$3 xff=${4:-} got
  got=$(http_status "$port" "$xff")
  [ "$got" = "$want" ] || die "$what: a sample request got $got, the scenario expects $want"
}

# ---------------------------------------------------------------------------------------------
# weir

WEIR_PID=""
WEIR_PORT=""
WEIR_METRICS_PORT=""

# Usage: start_weir NAME, with the scenario's configuration in $WORK/NAME.yml.
start_weir() {
  local name=$1 log="$WORK/$1.log" line
  "${SERVER_PIN[@]}" "$WEIR_BIN" --config "$WORK/$name.yml" --listen 127.0.0.1:0 \
    --metrics-listen 127.0.0.1:0 >"$log" 2>&1 &
  WEIR_PID=$!
  PIDS+=("$WEIR_PID")
  for _ in $(seq 100); do
    line=$(grep -o 'listening on 127\.0\.0\.1:[0-9]* (metrics on 127\.0\.0\.1:[0-9]*)' "$log" ||
      true)
    [ -n "$line" ] && break
    kill -0 "$WEIR_PID" 2>/dev/null || die "weir ($name) exited at start-up: $(tail -n 3 "$log")"
    sleep 0.1
  done
  [ -n "$line" ] || die "weir ($name) did not report its port within 10s: $(tail -n 3 "$log")"
  WEIR_PORT=$(sed 's/listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/' <<<"$line")
  WEIR_METRICS_PORT=$(sed 's/.*metrics on 127\.0\.0\.1:\([0-9]*\))/\1/' <<<"$line")
}

# Usage: weir_config NAME <<EOF (scenario keys) EOF
weir_config() {
  {
    cat <<EOF
listen: "127.0.0.1:0"
metrics_listen: "127.0.0.1:0"
threads: $THREADS
log_level: info
shutdown_grace: 0ms
max_requests_per_connection: 1000
EOF
    cat
  } >"$WORK/$1.yml"
}

# The store's key count, from weir's own metrics.
weir_store_keys() {
  local fd value=""
  exec {fd}<>"/dev/tcp/127.0.0.1/$WEIR_METRICS_PORT" || return 0
  printf 'GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n' >&"$fd"
  value=$(timeout 5 cat <&"$fd" | awk '$1 == "weir_store_keys" {print $2}' | tr -d '\r')
  exec {fd}>&-
  echo "${value:-?}"
}

# ---------------------------------------------------------------------------------------------
# nginx: its own prefix, configuration, pid and logs in $WORK/nginx-NAME, in the foreground.

NGINX_PID=""
NGINX_PORT=""

# Usage: start_nginx NAME, with the http-level directives in $WORK/NAME.http and the body of
# `location /api/` in $WORK/NAME.location.
start_nginx() {
  local name=$1 dir="$WORK/nginx-$1" attempt
  mkdir -p "$dir/www/api" "$dir/tmp"
  printf '{"data":"hello"}' >"$dir/www/api/data"
  chmod -R a+rX "$dir"
  # Started as root, nginx's workers would drop to "nobody", who may not be able to reach a
  # private TMPDIR; they keep the starting user instead.
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root;"
  for attempt in 1 2 3 4 5; do
    NGINX_PORT=$(free_port)
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
$user_line
worker_processes $THREADS;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  server_tokens off;
  types { }
  default_type application/json;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  keepalive_requests 1000;
  keepalive_timeout 60s;
  open_file_cache max=64 inactive=60s;
$(cat "$WORK/$name.http")
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $dir/www;
    limit_req_status 429;
    error_page 429 @limited;
    error_page 403 @forbidden;
    location /api/ {
$(cat "$WORK/$name.location")
    }
    location @limited {
      return 429 '{"error":"too many requests"}';
    }
    location @forbidden {
      return 403 '{"error":"forbidden"}';
    }
  }
}
EOF
    "${SERVER_PIN[@]}" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
      >"$WORK/nginx-$name.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_for_port "$NGINX_PORT" "$NGINX_PID" && return 0
    stop_pid "$NGINX_PID"
    grep -q 'Address already in use' "$dir/error.log" "$WORK/nginx-$name.log" 2>/dev/null ||
      die "nginx ($name) did not start: $(tail -n 3 "$dir/error.log" "$WORK/nginx-$name.log")"
  done
  die "nginx ($name) found no free port in 5 attempts"
}

# ---------------------------------------------------------------------------------------------
# wrk

# 100,000 distinct clients, one per request in turn, written by the trusted proxy (127.0.0.1)
# into X-Forwarded-For. Requests are built once in init, so the per-request cost in wrk is a
# table lookup and both servers see the same load generator.
cat >"$WORK/many_clients.lua" <<'EOF'
local clients = 100000
local requests = {}
local next_index = 1
local thread_count = 0

function setup(thread)
  thread:set("first", thread_count * 7919)
  thread_count = thread_count + 1
end

function init(args)
  for i = 0, clients - 1 do
    -- 100.64.0.0/10 (shared address space): header text only, never a destination.
    local address = string.format("100.%d.%d.%d", 64 + math.floor(i / 65536) % 64,
                                  math.floor(i / 256) % 256, i % 256)
    requests[i + 1] = wrk.format("GET", "/api/data", {["X-Forwarded-For"] = address})
  end
  next_index = (first or 0) % clients + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index % clients + 1
  return r
end
EOF

CLOCK_TICKS=$(getconf CLK_TCK 2>/dev/null || echo 100)

# CPU time (user + system, in clock ticks) used so far by a process and its children (nginx's
# workers), all threads included.
cpu_ticks() {
  local pid=$1 total=0 child ticks
  for child in "$pid" $(pgrep -P "$pid" 2>/dev/null || true); do
    ticks=$(sed 's/^.*) //' "/proc/$child/stat" 2>/dev/null | awk '{print $12 + $13}')
    total=$((total + ${ticks:-0}))
  done
  echo "$total"
}

# Usage: run_wrk LABEL PORT SERVER_PID EXPECT [lua script]; EXPECT is 2xx (all), most2xx
# (>= 99%), or non2xx (none). Appends "rps p99_ms requests non2xx errors cpu_us_per_request"
# to $WORK/LABEL.results. CPU time per request is what the server itself spent: on a machine
# shared with other work it moves far less than requests per second do.
run_wrk() {
  local label=$1 port=$2 server=$3 expect=$4 script=${5:-} raw
  raw="$OUT/raw/$MODE-$label-$(date +%H%M%S).txt"
  local args=(-t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency --timeout 5s)
  [ -n "$script" ] && args+=(-s "$script")
  local ticks_before ticks_after
  ticks_before=$(cpu_ticks "$server")
  "${CLIENT_PIN[@]}" wrk "${args[@]}" "http://127.0.0.1:$port/api/data" >"$raw" 2>&1 ||
    die "$label: wrk failed: $(tail -n 3 "$raw")"
  ticks_after=$(cpu_ticks "$server")

  local rps p99 total non2xx errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
  total=$(awk '/ requests in / {print $1}' "$raw")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$raw")
  non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$raw")
  errors=${errors:-0}
  # "99%  1.23ms": wrk prints us, ms or s; converted to milliseconds.
  p99=$(awk '$1 == "99%" {
      v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v);
      if (unit == "us") v /= 1000
      else if (unit == "s") v *= 1000
      else if (unit == "m") v *= 60000
      printf "%.3f", v }' "$raw")
  [ -n "$rps" ] && [ -n "$total" ] && [ "$total" -gt 0 ] ||
    die "$label: wrk sent no requests: $(tail -n 3 "$raw")"

  case "$expect" in
    2xx) [ "$non2xx" -eq 0 ] || die "$label: $non2xx of $total responses were not 2xx" ;;
    most2xx) [ $((non2xx * 100)) -le "$total" ] ||
      die "$label: $non2xx of $total responses were not 2xx (more than 1%)" ;;
    non2xx) [ "$non2xx" -eq "$total" ] ||
      die "$label: $((total - non2xx)) of $total responses were 2xx, the scenario expects none" ;;
  esac
  local cpu_us
  cpu_us=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$CLOCK_TICKS" -v n="$total" \
    'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
  echo "$rps $p99 $total $non2xx $errors $cpu_us" >>"$WORK/$label.results"
  printf '  %-16s %9s req/s  p99 %7s ms  %6s us CPU/req  (%s requests, %s non-2xx, %s %s)\n' \
    "$label" "$rps" "$p99" "$cpu_us" "$total" "$non2xx" "$errors" "socket errors" >&2
}

# The median of the numbers on stdin.
median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "?"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

column_median() { awk -v c="$2" '{print $c}' "$WORK/$1.results" | median; }
column_sum() { awk -v c="$2" '{s += $c} END {print s + 0}' "$WORK/$1.results"; }

TABLE="$WORK/table.md"
ROUNDS_TABLE="$WORK/rounds.md"
: >"$TABLE"
: >"$ROUNDS_TABLE"

# X / Y to two places, or "?".
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { if (y > 0) printf "%.2f", x / y; else print "?" }'; }

# Usage: report SCENARIO LABEL_A LABEL_B STATUS NOTE — one row, A (weir) against B.
report() {
  local scenario=$1 a=$2 b=$3 status=$4 extra=${5:-}
  local a_rps b_rps a_p99 b_p99 rps_ratio p99_ratio a_cpu b_cpu cpu_ratio
  a_cpu=$(column_median "$a" 6)
  b_cpu=$(column_median "$b" 6)
  cpu_ratio=$(ratio "$b_cpu" "$a_cpu")
  a_rps=$(column_median "$a" 1)
  b_rps=$(column_median "$b" 1)
  a_p99=$(column_median "$a" 2)
  b_p99=$(column_median "$b" 2)
  rps_ratio=$(ratio "$a_rps" "$b_rps")
  p99_ratio=$(ratio "$a_p99" "$b_p99")
  printf '| %s | %s | %.0f | %.0f | **%s** | %.3f | %.3f | %s | %.1f | %.1f | **%s** | %s |\n' \
    "$scenario" "$status" "$a_rps" "$b_rps" "$rps_ratio" "$a_p99" "$b_p99" "$p99_ratio" \
    "$a_cpu" "$b_cpu" "$cpu_ratio" "$extra" >>"$TABLE"
  local label
  for label in "$a" "$b"; do
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$scenario" "$label" \
      "$(awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1}' "$WORK/$label.results")" \
      "$(awk '{printf "%s%s", (NR > 1 ? ", " : ""), $2}' "$WORK/$label.results")" \
      "$(awk '{printf "%s%s", (NR > 1 ? ", " : ""), $6}' "$WORK/$label.results")" \
      "$(column_sum "$label" 3)" "$(column_sum "$label" 5)" >>"$ROUNDS_TABLE"
  done
}

# Alternates wrk between two servers: A, B, A, B...
# Usage: alternate LABEL_A PORT_A PID_A LABEL_B PORT_B PID_B EXPECT [script] [before-each-run
# command, given the port]
alternate() {
  local a=$1 a_port=$2 a_pid=$3 b=$4 b_port=$5 b_pid=$6 expect=$7 script=${8:-}
  local before=${9:-true} round
  for round in $(seq "$ROUNDS"); do
    $before "$a_port"
    run_wrk "$a" "$a_port" "$a_pid" "$expect" "$script"
    $before "$b_port"
    run_wrk "$b" "$b_port" "$b_pid" "$expect" "$script"
  done
}

# ---------------------------------------------------------------------------------------------
# Scenarios

scenario_allowed() {
  note "scenario allowed: one client, limits never reached (expect 200)"
  weir_config allowed <<'EOF'
limits:
  default: { requests: 1000000, window: 1s, algorithm: gcra }
EOF
  echo '  limit_req_zone $binary_remote_addr zone=bench:1m rate=1000000r/s;' >"$WORK/allowed.http"
  # nginx counts in milliseconds: without a burst, two requests in one millisecond would collide.
  echo '      limit_req zone=bench burst=1000000 nodelay;' >"$WORK/allowed.location"
  start_weir allowed
  start_nginx allowed
  expect_status "allowed (weir)" 200 "$WEIR_PORT"
  expect_status "allowed (nginx)" 200 "$NGINX_PORT"
  alternate weir-allowed "$WEIR_PORT" "$WEIR_PID" nginx-allowed "$NGINX_PORT" "$NGINX_PID" 2xx
  report allowed weir-allowed nginx-allowed 200
  stop_pid "$WEIR_PID"
  stop_pid "$NGINX_PID"
}

# Spends the budget, so everything wrk sends next is over the limit. A server's budget comes
# back REFILL[port] seconds after its last admission (nginx's 1r/m: 62.5s; weir's 24h window:
# never, 0), so when that would fall inside the coming run this waits for it and spends it.
declare -A REFILL=()
declare -A ADMITTED_AT=()
exhaust() {
  local port=$1 status now refill pause
  for _ in 1 2 3 4 5; do
    status=$(http_status "$port")
    now=$SECONDS
    case "$status" in
      200) ADMITTED_AT[$port]=$now ;;
      429)
        refill=${REFILL[$port]:-0}
        [ -n "${ADMITTED_AT[$port]:-}" ] || ADMITTED_AT[$port]=$now
        if [ "$refill" -eq 0 ] ||
          [ $((now - ADMITTED_AT[$port] + DURATION + 3)) -lt "$refill" ]; then
          return 0
        fi
        pause=$((ADMITTED_AT[$port] + refill + 1 - now))
        [ "$pause" -ge 1 ] || pause=1
        note "rejected: waiting ${pause}s for the budget on port $port to come back and spending it"
        sleep "$pause"
        ;;
      *) die "rejected: warm-up request got $status, expected 200 or 429" ;;
    esac
  done
  die "rejected: port $port still admits requests after five warm-up requests"
}

scenario_rejected() {
  note "scenario rejected: one client over its limit (expect 429)"
  [ "$DURATION" -le 55 ] || die "rejected: BENCH_DURATION must be at most 55s (nginx's 1r/m)"
  weir_config rejected <<'EOF'
limits:
  default: { requests: 1, window: 24h, algorithm: gcra }
EOF
  # 1r/m with no burst: after an admitted request the next is admitted 62.5s later; `exhaust`
  # makes sure that moment never falls inside a wrk run.
  echo '  limit_req_zone $binary_remote_addr zone=bench:1m rate=1r/m;' >"$WORK/rejected.http"
  echo '      limit_req zone=bench;' >"$WORK/rejected.location"
  start_weir rejected
  start_nginx rejected
  REFILL[$NGINX_PORT]=63
  exhaust "$WEIR_PORT"
  exhaust "$NGINX_PORT"
  expect_status "rejected (weir)" 429 "$WEIR_PORT"
  expect_status "rejected (nginx)" 429 "$NGINX_PORT"
  alternate weir-rejected "$WEIR_PORT" "$WEIR_PID" nginx-rejected "$NGINX_PORT" "$NGINX_PID" \
    non2xx "" exhaust
  expect_status "rejected (weir), after the runs" 429 "$WEIR_PORT"
  expect_status "rejected (nginx), after the runs" 429 "$NGINX_PORT"
  report rejected weir-rejected nginx-rejected 429
  stop_pid "$WEIR_PID"
  stop_pid "$NGINX_PID"
}

scenario_blocked() {
  note "scenario blocked: a blocklisted client behind a trusted proxy (expect 403)"
  # The client comes through X-Forwarded-For: weir closes a blocklisted *peer* at accept,
  # without an answer, so a 403 against 403 comparison needs the client behind a proxy.
  weir_config blocked <<'EOF'
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
blocklist: ["203.0.113.0/24"]
limits:
  default: { requests: 1000000, window: 1s, algorithm: gcra }
EOF
  # nginx's best case: `deny` alone. (With limit_req as well, nginx would count the request
  # before denying it, since its preaccess phase runs before access; weir checks lists first.)
  cat >"$WORK/blocked.http" <<'EOF'
  set_real_ip_from 127.0.0.1;
  real_ip_header X-Forwarded-For;
EOF
  echo '      deny 203.0.113.0/24;' >"$WORK/blocked.location"
  echo 'wrk.headers["X-Forwarded-For"] = "203.0.113.7"' >"$WORK/blocked_client.lua"
  start_weir blocked
  start_nginx blocked
  expect_status "blocked (weir)" 403 "$WEIR_PORT" 203.0.113.7
  expect_status "blocked (nginx)" 403 "$NGINX_PORT" 203.0.113.7
  alternate weir-blocked "$WEIR_PORT" "$WEIR_PID" nginx-blocked "$NGINX_PORT" "$NGINX_PID" non2xx \
    "$WORK/blocked_client.lua"
  report blocked weir-blocked nginx-blocked 403
  stop_pid "$WEIR_PID"
  stop_pid "$NGINX_PID"
}

scenario_proxy() {
  note "scenario proxy: weir and nginx each in front of one upstream (expect 200)"
  # The upstream: another nginx serving the same body with no limit, pinned like the servers.
  : >"$WORK/upstream.http"
  : >"$WORK/upstream.location"
  start_nginx upstream
  local upstream_port=$NGINX_PORT upstream_pid=$NGINX_PID

  weir_config proxy <<EOF
upstream: "http://127.0.0.1:$upstream_port"
limits:
  default: { requests: 1000000, window: 1s, algorithm: gcra }
EOF
  # nginx as weir is configured: limit_req, kept-alive upstream connections, the client address
  # appended to X-Forwarded-For.
  cat >"$WORK/proxy.http" <<EOF
  limit_req_zone \$binary_remote_addr zone=bench:1m rate=1000000r/s;
  upstream backend {
    server 127.0.0.1:$upstream_port;
    keepalive 64;
  }
EOF
  cat >"$WORK/proxy.location" <<'EOF'
      limit_req zone=bench burst=1000000 nodelay;
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
EOF
  start_weir proxy
  start_nginx proxy
  expect_status "proxy (weir)" 200 "$WEIR_PORT"
  expect_status "proxy (nginx)" 200 "$NGINX_PORT"

  # The floor: the same proxying with no HTTP work at all (bench/copy_proxy.cpp), in the same
  # rounds, so the report shows how far above nginx any proxy can get on this machine.
  local copy_port="" copy_pid=""
  if [ -x "$WEIR_COPY_PROXY_BIN" ]; then
    copy_port=$(free_port)
    "${SERVER_PIN[@]}" "$WEIR_COPY_PROXY_BIN" "$copy_port" "$upstream_port" \
      >"$WORK/copy-proxy.log" 2>&1 &
    copy_pid=$!
    PIDS+=("$copy_pid")
    wait_for_port "$copy_port" "$copy_pid" ||
      die "copy_proxy did not start: $(tail -n 3 "$WORK/copy-proxy.log")"
    expect_status "proxy (copy_proxy)" 200 "$copy_port"
  else
    note "no $WEIR_COPY_PROXY_BIN: the proxy scenario runs without its floor"
  fi

  local round
  for round in $(seq "$ROUNDS"); do
    run_wrk weir-proxy "$WEIR_PORT" "$WEIR_PID" 2xx
    run_wrk nginx-proxy "$NGINX_PORT" "$NGINX_PID" 2xx
    [ -z "$copy_pid" ] || run_wrk copy-proxy "$copy_port" "$copy_pid" 2xx
  done
  report proxy weir-proxy nginx-proxy 200
  [ -z "$copy_pid" ] || report "proxy floor" copy-proxy nginx-proxy 200 \
    "not weir: copy_proxy (bench/copy_proxy.cpp) in its place, copying bytes with no HTTP work"
  stop_pid "$WEIR_PID"
  stop_pid "$NGINX_PID"
  [ -z "$copy_pid" ] || stop_pid "$copy_pid"
  stop_pid "$upstream_pid"
}

scenario_many() {
  note "scenario many: 100,000 clients via a trusted proxy (expect 200)"
  # One request a minute per client with bursts of 101, in both: a client comes round once
  # every 100,000 requests, so nearly everything is allowed, and each client's state outlives
  # the run, so both servers hold all 100,000 clients at once.
  weir_config many <<'EOF'
client_ip:
  trusted_proxies: ["127.0.0.0/8"]
limits:
  default: { requests: 2, window: 120s, algorithm: gcra, burst: 101 }
EOF
  cat >"$WORK/many.http" <<'EOF'
  set_real_ip_from 127.0.0.1;
  real_ip_header X-Forwarded-For;
  limit_req_zone $binary_remote_addr zone=bench:32m rate=1r/m;
EOF
  echo '      limit_req zone=bench burst=100 nodelay;' >"$WORK/many.location"
  start_weir many
  start_nginx many

  # Both key on the forwarded address and allow the same burst: a client's 102nd request is
  # refused, while another client is still allowed.
  local port i
  for port in "$WEIR_PORT" "$NGINX_PORT"; do
    for i in $(seq 101); do
      expect_status "many (port $port), request $i of a client" 200 "$port" 192.0.2.1
    done
    expect_status "many (port $port), request 102 of that client" 429 "$port" 192.0.2.1
    expect_status "many (port $port), another client" 200 "$port" 192.0.2.2
  done

  alternate weir-many "$WEIR_PORT" "$WEIR_PID" nginx-many "$NGINX_PORT" "$NGINX_PID" most2xx \
    "$WORK/many_clients.lua"
  local keys
  keys=$(weir_store_keys)
  note "weir holds $keys keys after the runs"
  report "many (100k clients)" weir-many nginx-many 200 "weir keys after: $keys"
  stop_pid "$WEIR_PID"
  stop_pid "$NGINX_PID"
}

REDIS_PID=""
skip_row() { echo "| redis vs memory | skipped: $1 | | | | | | | | | | |" >>"$TABLE"; }
REDIS_PORT=""
start_redis() {
  command -v redis-server >/dev/null || return 1
  local attempt
  for attempt in 1 2 3 4 5; do
    REDIS_PORT=$(free_port)
    "${SERVER_PIN[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
      --appendonly no --dir "$WORK" --logfile "$WORK/redis.log" &
    REDIS_PID=$!
    PIDS+=("$REDIS_PID")
    wait_for_port "$REDIS_PORT" "$REDIS_PID" && return 0
    stop_pid "$REDIS_PID"
  done
  return 1
}

scenario_redis() {
  note "scenario redis: weir with store.backend redis against memory (expect 200)"
  if ! start_redis; then
    note "skipping redis: redis-server is not installed or did not start"
    skip_row "redis-server unavailable"
    return 0
  fi
  weir_config redis <<EOF
store:
  backend: redis
  redis_url: "redis://127.0.0.1:$REDIS_PORT"
limits:
  default: { requests: 1000000, window: 1s, algorithm: gcra }
EOF
  weir_config memory <<'EOF'
limits:
  default: { requests: 1000000, window: 1s, algorithm: gcra }
EOF
  if ! "$WEIR_BIN" --check-config "$WORK/redis.yml" >"$WORK/check-redis.log" 2>&1; then
    note "skipping redis: weir does not accept store.backend redis: $(cat "$WORK/check-redis.log")"
    skip_row "store.backend redis not accepted"
    stop_pid "$REDIS_PID"
    return 0
  fi
  start_weir redis
  local redis_weir_port=$WEIR_PORT redis_weir_pid=$WEIR_PID dbsize
  expect_status "redis (weir, redis store)" 200 "$redis_weir_port"
  # A configuration that parses is not yet a store in use: the key must show up in Redis.
  dbsize=$(redis-cli -p "$REDIS_PORT" dbsize 2>/dev/null || echo 0)
  if [ "${dbsize:-0}" -eq 0 ]; then
    note "skipping redis: weir accepts store.backend redis but wrote no key to Redis"
    skip_row "weir does not use Redis yet"
    stop_pid "$redis_weir_pid"
    stop_pid "$REDIS_PID"
    return 0
  fi
  start_weir memory
  expect_status "redis (weir, memory store)" 200 "$WEIR_PORT"
  alternate weir-redis "$redis_weir_port" "$redis_weir_pid" weir-memory "$WEIR_PORT" "$WEIR_PID" 2xx
  report "redis vs memory (A = redis, B = memory)" weir-redis weir-memory 200
  stop_pid "$redis_weir_pid"
  stop_pid "$WEIR_PID"
  stop_pid "$REDIS_PID"
}

# ---------------------------------------------------------------------------------------------
# Micro-benchmarks

MICRO="$WORK/micro.txt"
run_micro() {
  if [ ! -x "$WEIR_BENCH_BIN" ]; then
    note "skipping micro-benchmarks: \"$WEIR_BENCH_BIN\" not built (-DWEIR_BUILD_BENCH=ON)"
    echo "(not run: $WEIR_BENCH_BIN not built)" >"$MICRO"
    return 0
  fi
  note "micro-benchmarks ($WEIR_BENCH_BIN)"
  local args=(--benchmark_counters_tabular=true)
  [ "$MODE" = smoke ] && args+=(--benchmark_min_time=0.01)
  # Resident memory is measured as growth of this process, so each store gets a fresh one.
  "${CLIENT_PIN[@]}" "$WEIR_BENCH_BIN" "${args[@]}" --benchmark_filter='-BM_ResidentMemory' \
    >"$MICRO" 2>"$WORK/micro.err" || die "weir_bench failed: $(tail -n 5 "$WORK/micro.err")"
  local algorithm
  for algorithm in gcra sliding_counter sliding_log; do
    "$WEIR_BENCH_BIN" --benchmark_counters_tabular=true \
      --benchmark_filter="^BM_ResidentMemory/$algorithm/" >>"$MICRO" 2>>"$WORK/micro.err" ||
      die "weir_bench (memory, $algorithm) failed: $(tail -n 5 "$WORK/micro.err")"
  done
}

# ---------------------------------------------------------------------------------------------
# Run

note "$MODE run: ${ROUNDS} round(s) of ${DURATION}s per system, $CONNECTIONS connections," \
  "wrk -t$WRK_THREADS"
if [ "$PIN" = 1 ]; then
  note "servers pinned to CPU(s) ${SERVER_PIN[2]} with $THREADS thread(s)/worker(s)," \
    "wrk to CPU ${CLIENT_PIN[2]}"
else
  note "nothing pinned; $THREADS server thread(s)/worker(s)"
fi

for scenario in $SCENARIOS; do
  case "$scenario" in
    allowed | rejected | blocked | many | redis | proxy) "scenario_$scenario" ;;
    *) die "unknown scenario \"$scenario\" in BENCH_SCENARIOS" ;;
  esac
done
run_micro

REPORT="$OUT/$MODE.md"
{
  echo "# weir against nginx ($MODE run, $(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "- machine: $CPUS CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
    "Linux $(uname -r)"
  echo "- weir: $WEIR_BIN ($("$WEIR_BIN" --version 2>/dev/null || echo unknown))"
  echo "- nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //');" \
    "wrk: $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
  if [ "$PIN" = 1 ]; then
    echo "- servers pinned to CPU(s) ${SERVER_PIN[2]}, $THREADS weir thread(s) / nginx worker(s);" \
      "wrk pinned to CPU ${CLIENT_PIN[2]}"
  else
    echo "- nothing pinned; $THREADS weir thread(s) / nginx worker(s)"
  fi
  echo "- wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS alternating round(s) per" \
    "system; figures are medians over rounds; req/s and p99 ratios are weir / nginx, the CPU" \
    "ratio nginx / weir (above 1: weir spends less CPU per request)"
  [ "$MODE" = smoke ] && echo "- smoke run: proves the harness works; the figures mean nothing"
  echo
  echo "| scenario | status | weir req/s | nginx req/s | req/s ratio | weir p99 ms" \
    "| nginx p99 ms | p99 ratio | weir CPU us/req | nginx CPU us/req | CPU ratio | notes |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  cat "$TABLE"
  echo
  echo "Every round (req/s, p99 ms and server CPU us per request in run order; total requests" \
    "and socket errors):"
  echo
  echo "| scenario | system | req/s | p99 ms | CPU us/req | requests | socket errors |"
  echo "|---|---|---|---|---|---:|---:|"
  cat "$ROUNDS_TABLE"
  echo
  echo "## Micro-benchmarks"
  echo
  echo '```'
  cat "$MICRO"
  echo '```'
} >"$REPORT"
cat "$REPORT"
note "report written to $REPORT (raw wrk output in $OUT/raw)"
