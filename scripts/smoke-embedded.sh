#!/usr/bin/env bash
# Smoke test of a newcomer's first hour, on the embedded PostgreSQL:
# - a clone in a directory under a 0700 parent (like root's home) gets through
#   `npm install && npm start` and serves /readyz, with nothing changed in the parent;
# - operator commands (`migrate`, `verify -- ledger`, `keys -- rotate`) run beside
#   the running service, which switches to the rotated key;
# - the README's walk-through runs as is against it;
# - the service comes up again after it is killed with SIGKILL (orphaned
#   postmaster) and after its whole process group is;
# - SIGTERM stops it cleanly with nothing left running.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

parent="$(mktemp -d)" # 0700, as a home directory is
chmod 700 "$parent"
clone="$parent/custody-ledger"
export PORT="${SMOKE_PORT:-18181}" EMBEDDED_PG_PORT="${SMOKE_PG_PORT:-54391}" LOG_LEVEL=info
unset DATABASE_URL TEST_DATABASE_URL DATA_DIR
log="$parent/service.log"
group=""
cluster=""
cleanup() {
  [ -n "$group" ] && kill -9 -- "-$group" 2>/dev/null || true
  if [ -n "$cluster" ]; then
    pkill -9 -f -- "-D $cluster" 2>/dev/null || true
    sleep 0.5
    rm -rf "$cluster"
  fi
  rm -rf "$parent"
}
trap cleanup EXIT

fail() {
  echo "smoke: $*" >&2
  [ -f "$log" ] && tail -n 40 "$log" >&2
  exit 1
}

git clone --quiet "$repo" "$clone"
cd "$clone"
echo "smoke: cloned into a directory under a 0700 parent; npm install"
npm install --no-audit --no-fund --loglevel=error >/dev/null

start() {
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; then fail "port $PORT is already taken by something else"; fi
  setsid npm start >>"$log" 2>&1 &
  group=$!
  for _ in $(seq 1 240); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  fail "the service did not become ready"
}

service_pid() { pgrep -g "$group" -x node | head -n 1; }

start
echo "smoke: npm start is ready"
cluster="$(grep -o '"clusterDir":"[^"]*"' "$log" | head -n 1 | cut -d'"' -f4)"
case "$cluster" in
  /var/lib/custody-ledger/clusters/*) echo "smoke: the cluster lives in $cluster" ;;
  *) [ "$(id -u)" = 0 ] && fail "as root, the cluster should be under /var/lib/custody-ledger, not '$cluster'" ;;
esac
[ "$(stat -c %a "$parent")" = 700 ] || fail "the 0700 parent directory was changed"

token=$(npm run --silent token -- --sub smoke --agency AZ-SSS --role investigator)
open_case() {
  curl -fsS -X POST "http://127.0.0.1:$PORT/v1/cases" \
    -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"reference\":\"SMOKE-$1\",\"title\":\"Smoke test\"}"
}
receipt_kid() { node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")).receipt; console.log(JSON.parse(Buffer.from(r.split(".")[0],"base64url")).kid)'; }
old_kid="$(open_case 1 | receipt_kid)"

npm run --silent migrate >/dev/null 2>>"$log" || fail "npm run migrate failed beside the running service"
echo "smoke: npm run migrate ran beside the service"
npm run --silent verify -- ledger >/dev/null || fail "npm run verify -- ledger failed beside the running service"
echo "smoke: npm run verify -- ledger ran beside the service"
new_kid="$(npm run --silent keys -- rotate | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).current)')"
[ -n "$new_kid" ] && [ "$new_kid" != "$old_kid" ] || fail "key rotation did not make a new key current"
for attempt in $(seq 1 40); do
  [ "$(open_case "rotated-$attempt" | receipt_kid)" = "$new_kid" ] && break
  [ "$attempt" = 40 ] && fail "the running service did not switch to the rotated key"
  sleep 0.5
done
echo "smoke: npm run keys -- rotate ran beside the service, which switched to the new key"

awk '/<!-- walkthrough:/ { marked = 1; next } marked && /^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' \
  README.md >"$parent/walkthrough.sh"
[ -s "$parent/walkthrough.sh" ] || fail "no walk-through block in the README"
LEDGER="http://127.0.0.1:$PORT" bash -euo pipefail "$parent/walkthrough.sh" >"$parent/walkthrough.out" 2>&1 ||
  { tail -n 30 "$parent/walkthrough.out" >&2; fail "the README walk-through failed against the quickstart service"; }
echo "smoke: the README walk-through ran as is against the quickstart service"

kill -9 "$(service_pid)"
sleep 1
if pgrep -f -- "-D $cluster" >/dev/null; then echo "smoke: postmaster orphaned as expected"; fi

start
echo "smoke: ready again after kill -9 of the service"
kill -9 -- "-$group"
sleep 1

start
echo "smoke: ready again after kill -9 of the whole process group"
[ "$(open_case 2 >/dev/null && echo ok)" = ok ] || fail "POST /v1/cases failed after the restarts"

pid=$(service_pid)
kill -TERM "$pid"
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$pid" 2>/dev/null; then fail "SIGTERM did not stop the service"; fi
if pgrep -f -- "-D $cluster" >/dev/null; then fail "PostgreSQL still running after shutdown"; fi
group=""
echo "smoke: SIGTERM stopped the service and its PostgreSQL"
