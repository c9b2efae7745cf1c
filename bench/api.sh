#!/usr/bin/env bash
# wrk against our api_rest (GET /health, POST /api/comment/new) beside the original app served the
# original way (FastAPI + uvicorn defaults, in a throwaway venv): req/s, p50, p99 side by side.
# Needs the test servers: run as `task bench:api` (or test/servers/with-servers.sh bench/api.sh).
# Env: BENCH_DURATION (10s), BENCH_CONNECTIONS (32), BENCH_POST_CONNECTIONS (16),
# BENCH_API_WORKERS (API_WORKERS of api_rest; default: the app's own, one per available CPU).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CI_CACHE="${CI_CACHE:-$HOME/.cache/shipay-ci}"
: "${TEST_DATABASE_URL:?run through task bench:api (it starts PostgreSQL and Kafka)}"
: "${TEST_KAFKA_BOOTSTRAP:?run through task bench:api (it starts PostgreSQL and Kafka)}"
command -v wrk >/dev/null || { echo "bench: wrk not found; apt-get install wrk" >&2; exit 4; }
duration="${BENCH_DURATION:-10s}" conns="${BENCH_CONNECTIONS:-32}" post_conns="${BENCH_POST_CONNECTIONS:-16}"
api_port=18000 orig_port=18080
out="$root/bench/results"; mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# The original app's venv: the same fastapi/uvicorn versions as ours, without uvicorn's extras.
venv="$CI_CACHE/bench-original-venv"
if [ ! -x "$venv/bin/uvicorn" ]; then
  versions="$("$root/apps/api_rest/.venv/bin/python" -c 'import fastapi, uvicorn; print(fastapi.__version__, uvicorn.__version__)')"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "fastapi==${versions% *}" "uvicorn==${versions#* }"
fi
(cd "$root/bench" && exec "$venv/bin/uvicorn" api_original:app --port "$orig_port") >"$out/original.log" 2>&1 &
pids+=($!)
DATABASE_URL="$TEST_DATABASE_URL" KAFKA_BOOTSTRAP_SERVERS="$TEST_KAFKA_BOOTSTRAP" API_PORT="$api_port" \
  API_WORKERS="${BENCH_API_WORKERS:-auto}" "$root/apps/api_rest/.venv/bin/api-rest" >"$out/api_rest.log" 2>&1 &
pids+=($!)
for url in "http://127.0.0.1:$orig_port/health" "http://127.0.0.1:$api_port/ready"; do
  for _ in $(seq 1 100); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
  curl -sf "$url" >/dev/null || { echo "bench: $url did not come up; see $out/*.log" >&2; exit 1; }
done

run() { # label conns url [wrk options...] [-- script args...]
  local label="$1" c="$2" url="$3"; shift 3
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  local file="$out/wrk-${label//[^A-Za-z0-9]/_}.txt"
  wrk -t2 -c"$c" -d"$duration" --latency "${opts[@]}" "$url" "$@" >"$file" 2>&1
  local rps p50 p99 errors
  rps="$(awk '/^Requests\/sec/ {print $2}' "$file")"
  p50="$(awk '$1 == "50%" {print $2}' "$file")"
  p99="$(awk '$1 == "99%" {print $2}' "$file")"
  errors="$(grep -E 'Non-2xx|Socket errors' "$file" | tr -s ' ' | paste -sd ';' - || true)"
  printf '| %-32s | %5s | %10s | %8s | %8s | %s\n' "$label" "$c" "$rps" "$p50" "$p99" "${errors:-}"
}

curl -sf -X POST "http://127.0.0.1:$api_port/api/comment/new" -H 'Content-Type: application/json' \
  -d '{"email":"warm@example.com","comment":"warm-up","content_id":1}' >/dev/null
workers="$(grep -o '"workers": [0-9]*' "$out/api_rest.log" | head -1 | grep -o '[0-9]*$' || echo 1)"
echo "wrk -t2, $duration per run, on $(nproc) cores shared by wrk, the servers and PostgreSQL;" \
  "api_rest with $workers worker process(es), the original app with uvicorn's defaults (1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-32s | %5s | %10s | %8s | %8s |\n' "run" "conns" "req/s" "p50" "p99"
run "original GET /health" "$conns" "http://127.0.0.1:$orig_port/health"
run "api_rest GET /health" "$conns" "http://127.0.0.1:$api_port/health"
run "original GET /items/1?q=x" "$conns" "http://127.0.0.1:$orig_port/items/1?q=x"
run "api_rest GET /items/1?q=x" "$conns" "http://127.0.0.1:$api_port/items/1?q=x"
run "api_rest POST /api/comment/new" "$post_conns" "http://127.0.0.1:$api_port" -s "$root/bench/api-post.lua"
# The same with every email new: no help from the cache of validated addresses.
run "api_rest POST, every email new" "$post_conns" "http://127.0.0.1:$api_port" -s "$root/bench/api-post.lua" -- unique
echo "raw wrk output: $out/wrk-*.txt"
