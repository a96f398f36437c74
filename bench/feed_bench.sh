#!/usr/bin/env bash
# Partner feed and artifact fetch over HTTP, through the full path (bearer token check,
# visibility gate, ledger record through the group-commit Recorder), driven by wrk over
# 127.0.0.1, beside nginx serving the same response bytes as static files in the same run.
#
#   bench/feed_bench.sh [build-dir]            # default: build-bench; needs wrk, nginx, curl
#                                              # (scripts/install-deps --bench installs them)
#
# Steps: build `forewarn` and `feed_seed` (Release, FOREWARN_BENCH=ON); seed a fresh data dir
# (bench/feed_seed.cc: 300 partners, 3,000 advisories, 20 PoC artifacts, terms accepted); start
# `forewarn serve` on a free port; fetch the exact bytes of one feed page and of every artifact
# with curl and lay them out as static files at the same URL paths; start nginx (own config in
# the temp dir, worker_processes 2, access_log off, no daemon) on another free port; then, for
# each repetition, endpoint and server, run wrk with bench/wrk/partner.lua (the same requests
# for both servers: a rotating partner bearer token, which nginx ignores). For forewarn runs it
# reads the ledger's tree size (GET /api/v1/ledger/head, admin token) before and after, so
# every delivered response can be checked to be on the ledger, and, when `perf` and uprobes
# are available (root), counts Recorder::Flush calls (= group commits) during the run.
#
# Environment (defaults in brackets):
#   FWB_DURATION [10]      seconds per measured wrk run (each preceded once by a 3 s warm-up)
#   FWB_CONNECTIONS [32]   wrk connections;   FWB_WRK_THREADS [2]  wrk threads
#   FWB_REPEAT [3]         repetitions of the forewarn/nginx pairs (medians are reported)
#   FWB_THREADS []         FOREWARN_THREADS for the server (empty: the server's default)
#   FWB_SWEEP []           e.g. "1 2 4 8 16": afterwards, forewarn-only runs at these thread counts
#   FWB_LIMIT [50]         feed page size;   FWB_PARTNERS [300], FWB_ADVISORIES [3000]
#   FWB_LADDER [0]         1: also forewarn-only runs of GET /healthz and GET /api/v1/whoami
#                          (HTTP layer; HTTP + token check) to split the cost of the full path
#   FWB_COUNT [0]          1: also count, per request, sqlite3_step calls, malloc calls, pread64/
#                          pwrite64/fcntl/futex system calls and group commits (perf uprobes and
#                          syscall tracepoints on the server only; slow, so a separate -c8 run)
#   FWB_PERF_RECORD [0]    1: also `perf record` forewarn during one extra run per endpoint
#   FWB_PERF [1]           0: no perf at all (no commit counting; FWB_COUNT needs it)
#   FWB_KEEP [0]           1: keep the temp dir (data, static files, logs)
# Raw outputs go to bench/out/feed/ (wrk output per run, results.tsv, summary.txt).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
build="${1:-build-bench}"
case "${build}" in
  /*) ;;
  *) build="${root}/${build}" ;;
esac
duration="${FWB_DURATION:-10}"
connections="${FWB_CONNECTIONS:-32}"
wrk_threads="${FWB_WRK_THREADS:-2}"
repeat="${FWB_REPEAT:-3}"
server_threads="${FWB_THREADS:-}"
sweep="${FWB_SWEEP:-}"
limit="${FWB_LIMIT:-50}"
out="${here}/out/feed"
lua="${here}/wrk/partner.lua"

for tool in wrk nginx curl python3; do
  if ! command -v "${tool}" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/${tool}" ]]; then
    echo "feed_bench: ${tool} is missing; run scripts/install-deps --bench (as root)" >&2
    exit 1
  fi
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

if [[ ! -f "${build}/build.ninja" && ! -f "${build}/Makefile" ]]; then
  cmake -S "${root}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFOREWARN_BENCH=ON
fi
cmake --build "${build}" --target forewarn feed_seed
forewarn="${build}/forewarn"

work="$(mktemp -d /tmp/forewarn-feed-bench.XXXXXX)"
chmod 755 "${work}"  # nginx workers run as nobody when started by root
rm -rf "${out}"
mkdir -p "${out}"
forewarn_pid=""
nginx_pid=""
probe=""

stop_pid() {
  local pid="$1"
  if [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null; then
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "${pid}" 2>/dev/null || return 0
      sleep 0.1
    done
    kill -9 "${pid}" 2>/dev/null || true
  fi
}

cleanup() {
  stop_pid "${forewarn_pid}"
  stop_pid "${nginx_pid}"
  if [[ -n "${probe}" ]]; then perf probe -q -d "${probe}" >/dev/null 2>&1 || true; fi
  if [[ "${FWB_KEEP:-0}" == 1 ]]; then
    echo "feed_bench: kept ${work}"
  else
    rm -rf "${work}"
  fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- seed ---
echo "=== seeding (feed_seed ${work}/seed)"
"${build}/bench/feed_seed" "${work}/seed" --partners "${FWB_PARTNERS:-300}" \
  --advisories "${FWB_ADVISORIES:-3000}" | tee "${out}/seed.json"
seed="${work}/seed"
admin_token="$(head -n 1 "${seed}/admin_token")"
first_token="$(head -n 1 "${seed}/tokens")"
cursor="$(head -n 1 "${seed}/feed_cursor")"

# --- forewarn ---
start_forewarn() {  # $1: FOREWARN_THREADS ("" = default)
  local threads="$1" log="${work}/forewarn.log" port=""
  : >"${log}"
  if [[ -n "${threads}" ]]; then
    FOREWARN_THREADS="${threads}" "${forewarn}" serve --data "${seed}/data" \
      --listen 127.0.0.1:0 >"${log}" 2>&1 &
  else
    "${forewarn}" serve --data "${seed}/data" --listen 127.0.0.1:0 >"${log}" 2>&1 &
  fi
  forewarn_pid=$!
  for _ in $(seq 300); do
    port="$(sed -n 's|^forewarn listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "${log}")"
    [[ -n "${port}" ]] && break
    kill -0 "${forewarn_pid}" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "${port}" ]]; then
    echo "feed_bench: forewarn serve did not start:" >&2
    cat "${log}" >&2
    exit 1
  fi
  forewarn_url="http://127.0.0.1:${port}"
  forewarn_threads="$(sed -n 's/.*http\.listening .* threads=\([0-9]*\).*/\1/p' "${log}" | head -n 1)"
}

# The ledger's size minus its "alert.raised" entries (one per alert: the activity monitor
# rightly flags wrk's bulk fetching), so growth counts deliveries only. The alert count is read
# before and after the head and the pair is retried until it is stable.
ledger_size() {
  local alerts_url="${forewarn_url}/api/v1/alerts?limit=1000"
  local auth="Authorization: Bearer ${admin_token}"
  local a1 size a2
  for _ in 1 2 3 4 5; do
    a1="$(curl -sf -H "${auth}" "${alerts_url}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])')"
    size="$(curl -sf -H "${auth}" "${forewarn_url}/api/v1/ledger/head" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["tree_size"])')"
    a2="$(curl -sf -H "${auth}" "${alerts_url}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])')"
    if [[ "${a1}" == "${a2}" ]]; then
      echo $((size - a1))
      return
    fi
  done
  echo "feed_bench: alerts kept changing while reading the ledger size" >&2
  exit 1
}

start_forewarn "${server_threads}"
echo "=== forewarn ${forewarn_url} (threads ${forewarn_threads})"

# --- static copies of the exact response bytes ---
static="${work}/static"
feed_path="/api/v1/feed?limit=${limit}&cursor=${cursor}"
mkdir -p "${static}/api/v1"
fetch() {  # $1: path, $2: output file
  local code
  code="$(curl -s -o "$2" -w '%{http_code}' -H "Authorization: Bearer ${first_token}" \
    "${forewarn_url}$1")"
  if [[ "${code}" != 200 ]]; then
    echo "feed_bench: GET $1 answered ${code}: $(head -c 300 "$2")" >&2
    exit 1
  fi
}
fetch "${feed_path}" "${static}/api/v1/feed"
artifact_bytes=0
while read -r advisory artifact; do
  dir="${static}/api/v1/advisories/${advisory}/artifacts/${artifact}"
  mkdir -p "${dir}"
  fetch "/api/v1/advisories/${advisory}/artifacts/${artifact}/content" "${dir}/content"
  artifact_bytes="$(stat -c %s "${dir}/content")"
done <"${seed}/artifacts"
feed_bytes="$(stat -c %s "${static}/api/v1/feed")"
chmod -R a+rX "${static}"
echo "feed page ${feed_bytes} bytes (limit ${limit}); artifacts $(wc -l <"${seed}/artifacts") x ~${artifact_bytes} bytes"

# --- nginx ---
nginx_port="$(free_port)"
mkdir -p "${work}/nginx"
cat >"${work}/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid ${work}/nginx/nginx.pid;
error_log ${work}/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  client_body_temp_path ${work}/nginx/body;
  proxy_temp_path ${work}/nginx/proxy;
  fastcgi_temp_path ${work}/nginx/fastcgi;
  uwsgi_temp_path ${work}/nginx/uwsgi;
  scgi_temp_path ${work}/nginx/scgi;
  types { }
  default_type application/json;
  server {
    listen 127.0.0.1:${nginx_port};
    root ${static};
    location ~ /content\$ { default_type text/x-python; }
    location / { try_files \$uri =404; }
  }
}
EOF
"${nginx_bin}" -e "${work}/nginx/error.log" -p "${work}/nginx" -c "${work}/nginx/nginx.conf" &
nginx_pid=$!
nginx_url="http://127.0.0.1:${nginx_port}"
for _ in $(seq 100); do
  curl -sf -o /dev/null "${nginx_url}/api/v1/feed" && break
  sleep 0.1
done
curl -sf -o "${work}/nginx-feed" "${nginx_url}${feed_path}"
cmp -s "${work}/nginx-feed" "${static}/api/v1/feed" || {
  echo "feed_bench: nginx does not serve the feed page" >&2
  exit 1
}
echo "=== nginx ${nginx_url} ($("${nginx_bin}" -v 2>&1 | sed 's/.*nginx\///'), worker_processes 2)"

# --- group-commit counter (optional) ---
flush_symbol="$(nm "${forewarn}" 2>/dev/null |
  sed -n 's/^[0-9a-f]* T \(_ZNK8forewarn6ledger8Recorder5Flush.*\)$/\1/p' | head -n 1)"
if [[ "${FWB_PERF:-1}" == 1 && "$(id -u)" == 0 && -n "${flush_symbol}" ]] &&
  command -v perf >/dev/null 2>&1; then
  [[ -d /sys/kernel/tracing/events ]] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
  perf probe -q -d 'probe_forewarn:fwbflush' >/dev/null 2>&1 || true
  if perf probe -q -x "${forewarn}" --no-demangle -a "fwbflush=${flush_symbol}" >/dev/null 2>&1; then
    probe="probe_forewarn:fwbflush"
  fi
fi
[[ -n "${probe}" ]] || echo "(perf/uprobes unavailable: group-commit batch sizes not measured)"

# --- runs ---
results="${out}/results.tsv"
printf 'rep\tendpoint\tserver\tthreads\trps\tp50_us\tp99_us\tmean_us\trequests\tbytes\terrors\tledger_growth\tcommits\n' >"${results}"

run_wrk() {  # $1 endpoint, $2 server, $3 url, $4 rep label, $5 threads label; appends to results
  local endpoint="$1" server="$2" url="$3" rep="$4" threads="$5"
  local label="${endpoint//\//_}"
  local name="${label#_}-${server}-t${threads}-${rep}" before="" after="" commits=""
  local wrk_cmd=(env FWB_DIR="${seed}" FWB_ENDPOINT="${endpoint}" FWB_LIMIT="${limit}"
    wrk -t"${wrk_threads}" -c"${connections}" -d"${duration}s" --latency -s "${lua}" "${url}")
  if [[ "${server}" == forewarn ]]; then before="$(ledger_size)"; fi
  if [[ "${server}" == forewarn && -n "${probe}" ]]; then
    perf stat -x, -e "${probe}" -p "${forewarn_pid}" -o "${out}/${name}.perfstat" -- \
      "${wrk_cmd[@]}" >"${out}/${name}.txt"
    commits="$(grep -m1 "${probe#probe_forewarn:}" "${out}/${name}.perfstat" | cut -d, -f1)"
  else
    "${wrk_cmd[@]}" >"${out}/${name}.txt"
  fi
  if [[ "${server}" == forewarn ]]; then after="$(ledger_size)"; fi
  local line
  line="$(grep '^RESULT ' "${out}/${name}.txt")"
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"${line}"; }
  local errors=$(($(get connect_errors) + $(get read_errors) + $(get write_errors) + $(get non2xx) + $(get timeouts)))
  local growth=""
  if [[ -n "${before}" ]]; then growth=$((after - before)); fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${rep}" "${endpoint}" \
    "${server}" "${threads}" "$(get rps)" "$(get p50_us)" "$(get p99_us)" "$(get mean_us)" \
    "$(get requests)" "$(get bytes)" "${errors}" "${growth}" "${commits}" >>"${results}"
  printf '  %-8s %-8s t=%-3s %10s req/s  p50 %8s ms  p99 %8s ms  errors %s%s%s\n' \
    "${endpoint}" "${server}" "${threads}" "$(get rps)" "$(ms "$(get p50_us)")" \
    "$(ms "$(get p99_us)")" "${errors}" "${growth:+  ledger +${growth}}" \
    "${commits:+  commits ${commits}}"
  if ((errors > 0)); then
    echo "feed_bench: ${name} had ${errors} errors (see ${out}/${name}.txt)" >&2
    exit 1
  fi
  # Every response wrk counted was recorded before it was sent; requests still in flight when
  # wrk stopped may be recorded without being counted (at most one per connection).
  if [[ -n "${growth}" && "${endpoint}" != /* ]] && ((growth < $(get requests) || growth > $(get requests) + connections)); then
    echo "feed_bench: ${name}: ledger grew by ${growth} for $(get requests) requests" >&2
    exit 1
  fi
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

warm() {  # $1 endpoint, $2 url
  FWB_DIR="${seed}" FWB_ENDPOINT="$1" FWB_LIMIT="${limit}" \
    wrk -t"${wrk_threads}" -c"${connections}" -d3s -s "${lua}" "$2" >/dev/null
}

echo "=== wrk -t${wrk_threads} -c${connections} -d${duration}s, ${repeat} repetitions"
for endpoint in feed artifact; do
  warm "${endpoint}" "${forewarn_url}"
  warm "${endpoint}" "${nginx_url}"
done
for rep in $(seq "${repeat}"); do
  for endpoint in feed artifact; do
    run_wrk "${endpoint}" forewarn "${forewarn_url}" "${rep}" "${forewarn_threads}"
    run_wrk "${endpoint}" nginx "${nginx_url}" "${rep}" 2
  done
done

if [[ "${FWB_LADDER:-0}" == 1 ]]; then
  for path in /healthz /api/v1/whoami; do
    warm "${path}" "${forewarn_url}"
    run_wrk "${path}" forewarn "${forewarn_url}" ladder "${forewarn_threads}"
  done
fi

if [[ "${FWB_COUNT:-0}" == 1 && -n "${probe}" ]]; then
  libs="$(ldd "${forewarn}")"
  sqlite_lib="$(awk '/libsqlite3/ { print $3 }' <<<"${libs}")"
  libc_lib="$(awk '/libc\.so/ { print $3 }' <<<"${libs}")"
  perf probe -q -d 'probe_fwb:*' >/dev/null 2>&1 || true
  perf probe -q -x "${sqlite_lib}" -a 'probe_fwb:step=sqlite3_step' >/dev/null
  perf probe -q -x "${libc_lib}" -a 'probe_fwb:malloc=malloc' >/dev/null
  counters="probe_fwb:step,probe_fwb:malloc,syscalls:sys_enter_pread64"
  counters+=",syscalls:sys_enter_pwrite64,syscalls:sys_enter_fcntl,syscalls:sys_enter_futex,${probe}"
  counts="${out}/counts.tsv"
  printf 'endpoint\trequests\tledger_growth\tsqlite3_step\tmalloc\tpread64\tpwrite64\tfcntl\tfutex\tcommits\n' >"${counts}"
  for endpoint in /healthz /api/v1/whoami artifact feed; do
    label="${endpoint//\//_}"
    label="${label#_}"
    before="$(ledger_size)"
    perf stat -x, -e "${counters}" -p "${forewarn_pid}" -o "${out}/count-${label}.perfstat" -- \
      env FWB_DIR="${seed}" FWB_ENDPOINT="${endpoint}" FWB_LIMIT="${limit}" \
      wrk -t1 -c8 -d5s -s "${lua}" "${forewarn_url}" >"${out}/count-${label}.txt"
    after="$(ledger_size)"
    requests="$(sed -n 's/^RESULT requests=\([0-9]*\).*/\1/p' "${out}/count-${label}.txt")"
    row="${endpoint}\t${requests}\t$((after - before))"
    for event in step malloc pread64 pwrite64 fcntl futex fwbflush; do
      row+="\t$(grep -m1 "[:_]${event}," "${out}/count-${label}.perfstat" | cut -d, -f1)"
    done
    printf '%b\n' "${row}" >>"${counts}"
  done
  perf probe -q -d 'probe_fwb:*' >/dev/null 2>&1 || true
  python3 - "${counts}" <<'PYEOF' | tee "${out}/counts.txt"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
keys = ["sqlite3_step", "malloc", "pread64", "pwrite64", "fcntl", "futex", "commits"]
print()
print("| per request (wrk -t1 -c8) | " + " | ".join(keys) + " | events per commit |")
print("|---|" + "---:|" * (len(keys) + 1))
for r in rows:
    n = int(r["requests"])
    cells = [f"{int(r[k] or 0) / n:.1f}" for k in keys]
    c = int(r["commits"] or 0)
    batch = f"{int(r['ledger_growth']) / c:.2f}" if c else ""
    print(f"| GET {r['endpoint']} | " + " | ".join(cells) + f" | {batch} |")
PYEOF
fi

if [[ "${FWB_PERF_RECORD:-0}" == 1 ]] && command -v perf >/dev/null 2>&1; then
  for endpoint in feed artifact; do
    echo "=== perf record forewarn (${endpoint})"
    (sleep 1 && perf record -F 499 --call-graph dwarf,32768 -p "${forewarn_pid}" \
      -o "${out}/perf-${endpoint}.data" -- sleep 5 >/dev/null 2>&1) &
    FWB_DIR="${seed}" FWB_ENDPOINT="${endpoint}" FWB_LIMIT="${limit}" \
      wrk -t"${wrk_threads}" -c"${connections}" -d7s -s "${lua}" "${forewarn_url}" >/dev/null
    wait $!
  done
fi

for t in ${sweep}; do
  stop_pid "${forewarn_pid}"
  start_forewarn "${t}"
  for endpoint in feed artifact; do
    warm "${endpoint}" "${forewarn_url}"
    run_wrk "${endpoint}" forewarn "${forewarn_url}" sweep "${forewarn_threads}"
  done
done

# --- summary: medians over the repetitions ---
python3 - "${results}" "${feed_bytes}" "${artifact_bytes}" <<'EOF' | tee "${out}/summary.txt"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
sizes = {"feed": sys.argv[2], "artifact": sys.argv[3]}
def med(rs, key):
    return statistics.median(float(r[key]) for r in rs)
print()
print("| endpoint | server | threads | req/s | p50 ms | p99 ms | ledger growth / requests | avg batch |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
ratios = {}
for endpoint in ("feed", "artifact"):
    main = [r for r in rows if r["endpoint"] == endpoint and r["rep"] not in ("sweep", "ladder")]
    for server in ("forewarn", "nginx"):
        rs = [r for r in main if r["server"] == server]
        if not rs:
            continue
        growth = sum(int(r["ledger_growth"] or 0) for r in rs)
        requests = sum(int(r["requests"]) for r in rs)
        commits = sum(int(r["commits"] or 0) for r in rs)
        check = f"{growth}/{requests}" if server == "forewarn" else ""
        batch = f"{growth / commits:.2f}" if commits else ""
        print(f"| {endpoint} ({sizes[endpoint]} B) | {server} | {rs[0]['threads']} | "
              f"{med(rs, 'rps'):,.0f} | {med(rs, 'p50_us') / 1000:.2f} | "
              f"{med(rs, 'p99_us') / 1000:.2f} | {check} | {batch} |")
    f = [r for r in main if r["server"] == "forewarn"]
    n = [r for r in main if r["server"] == "nginx"]
    if f and n:
        pairs = [float(a["rps"]) / float(b["rps"]) for a, b in zip(f, n)]
        ratios[endpoint] = (med(f, "rps") / med(n, "rps"), min(pairs), max(pairs))
ladder = [r for r in rows if r["rep"] == "ladder"]
if ladder:
    print()
    print("| forewarn only | threads | req/s | p50 ms | p99 ms | ledger growth |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in ladder:
        print(f"| GET {r['endpoint']} | {r['threads']} | {float(r['rps']):,.0f} | "
              f"{float(r['p50_us']) / 1000:.2f} | {float(r['p99_us']) / 1000:.2f} | "
              f"{r['ledger_growth']} |")
sweep = [r for r in rows if r["rep"] == "sweep"]
if sweep:
    print()
    print("| endpoint | FOREWARN_THREADS | req/s | p50 ms | p99 ms | avg batch |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in sweep:
        c = int(r["commits"] or 0)
        batch = f"{int(r['ledger_growth']) / c:.2f}" if c else ""
        print(f"| {r['endpoint']} | {r['threads']} | {float(r['rps']):,.0f} | "
              f"{float(r['p50_us']) / 1000:.2f} | {float(r['p99_us']) / 1000:.2f} | {batch} |")
print()
for endpoint, (ratio, low, high) in ratios.items():
    verdict = "meets" if ratio >= 0.5 else "BELOW"
    print(f"ratio {endpoint}: forewarn/nginx = {ratio:.3f}x (median req/s over median req/s; "
          f"per repetition {low:.3f}-{high:.3f}x; {verdict} the 0.5x goal)")
EOF
echo "results in ${out}"
