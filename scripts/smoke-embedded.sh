#!/usr/bin/env bash
# Smoke test of the quickstart path: `npm start` with no DATABASE_URL runs the
# embedded PostgreSQL and serves /readyz; it comes up again after the service
# is killed with SIGKILL (orphaned postmaster) and after the whole process group
# is (stale postmaster.pid); SIGTERM stops it cleanly with nothing left running.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATA_DIR="$(mktemp -d)"
export PORT="${SMOKE_PORT:-18181}" EMBEDDED_PG_PORT="${SMOKE_PG_PORT:-54391}" LOG_LEVEL=warn
log="$DATA_DIR/service.log"
group=""
cleanup() {
  [ -n "$group" ] && kill -9 -- "-$group" 2>/dev/null || true
  pkill -9 -f "$DATA_DIR/postgres" 2>/dev/null || true
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

start() {
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
    echo "smoke: port $PORT is already taken by something else" >&2
    return 1
  fi
  setsid npm start >>"$log" 2>&1 &
  group=$!
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "smoke: the service did not become ready; its log:" >&2
  tail -n 40 "$log" >&2
  return 1
}

service_pid() { pgrep -g "$group" -x node | head -n 1; }

start
echo "smoke: first start ready"
kill -9 "$(service_pid)"
sleep 1
if pgrep -f "$DATA_DIR/postgres" >/dev/null; then echo "smoke: postmaster orphaned as expected"; fi

start
echo "smoke: ready again after kill -9 of the service"
kill -9 -- "-$group"
sleep 1

start
echo "smoke: ready again after kill -9 of the whole process group"
token=$(node dist/scripts/token.js --sub smoke --agency AZ-SSS --role investigator)
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/v1/cases" \
  -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"reference":"SMOKE-1","title":"Smoke test"}')
[ "$status" = 201 ] || { echo "smoke: POST /v1/cases answered $status" >&2; exit 1; }
echo "smoke: a token from the token command opened a case"

pid=$(service_pid)
kill -TERM "$pid"
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$pid" 2>/dev/null; then echo "smoke: SIGTERM did not stop the service" >&2; exit 1; fi
if pgrep -f "$DATA_DIR/postgres" >/dev/null; then echo "smoke: PostgreSQL still running after shutdown" >&2; exit 1; fi
group=""
echo "smoke: SIGTERM stopped the service and its PostgreSQL"
