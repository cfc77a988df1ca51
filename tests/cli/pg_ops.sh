#!/usr/bin/env bash
# Operations on PostgreSQL as docs/OPERATIONS.md tells IT to run them, through the real binaries and a
# PostgreSQL cluster of this test's own (it is stopped and started again):
#   - two `serve --db` processes (no --data: attachments go to the default folder, here overridden by
#     the config file's "data" only where the test must); /v1/ready is 200 on both;
#   - the database goes down: /v1/ready is 503 server.database.unavailable on both, /v1/health still
#     200, a laptop's sync ends with sync.server.unavailable (503, "try later"), and each server's log
#     names the cause of its 5xx; the database comes back and both are ready again without a restart;
#   - restore --db is refused while a service runs, then puts a pg_dump back with the services
#     stopped, and the laptop syncs with the restored server.
# Usage: pg_ops.sh SERVER_BIN CLIENT_BIN WORK_DIR
set -euo pipefail
server="$1"; client="$2"; work="$3"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../support/serve.sh"
rm -rf "$work"; mkdir -p "$work"; cd "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$here/../support/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -5 s1.log s2.log >&2 2>/dev/null || true; exit 1; }
expect_fail() {  # expect_fail TEXT CMD...
  local text="$1"; shift
  if "$@" >out.txt 2>&1; then cat out.txt; fail "expected a failure saying '$text': $*"; fi
  grep -qF -- "$text" out.txt || { cat out.txt; fail "expected '$text' from: $*"; }
}
status_of() { curl -s -o answer.json -w '%{http_code}' "$1"; }
wait_ready() {  # wait_ready PORT: the pool finds its connections dead once each, then makes new ones
  for _ in $(seq 60); do [[ $(status_of "http://127.0.0.1:$1/v1/ready") == 200 ]] && return 0; sleep 0.25; done
  fail "127.0.0.1:$1 is not ready: $(cat answer.json)"
}

"$here/../support/pg.sh" start "$work/pg" >/dev/null
db=$(cat pg/conninfo)
"$server" init --db "$db" >/dev/null
"$server" team add north --db "$db" >/dev/null
"$server" user add ann --team north --role worker --db "$db" >/dev/null
mkdir -p blobs
echo "step: two processes on one database, with no --data (the attachments' default folder)"
"$server" serve --db "$db" --listen 127.0.0.1:0 >nodata.log 2>&1 &
nodata=$!; pids+=("$nodata")
sleep 1
if grep -q "needs --data" nodata.log; then fail "serve --db alone still needs --data"; fi
kill "$nodata" 2>/dev/null || true
start_server "$server" s1.log --db "$db" --data . || fail "s1"
pids+=("$server_pid"); port1=$port
start_server "$server" s2.log --db "$db" --data . || fail "s2"
pids+=("$server_pid"); port2=$port
wait_ready "$port1"; wait_ready "$port2"
grep -q '"database":"ok"' answer.json || fail "ready says $(cat answer.json)"

echo "step: a laptop enrols and syncs"
"$server" enroll --user ann --db "$db" --url "http://127.0.0.1:$port1" --out ann.outpost >/dev/null
echo "correct horse battery" >pass
"$client" enroll --profile ann --provision ann.outpost --data-dir home --passphrase-file pass >/dev/null 2>&1 ||
  fail "enrol"
"$client" sync --headless --profile ann --data-dir home --passphrase-file pass >/dev/null 2>&1 || fail "first sync"

echo "step: restore is refused while a service uses the database"
pg_dump --format=custom -f outpost.dump -d "$db"
expect_fail server.restore.busy "$server" restore --db "$db" --from outpost.dump
grep -q "stop every" out.txt || fail "the refusal does not say what to do"

echo "step: the database goes down"
"$here/../support/pg.sh" halt "$work/pg"
for p in "$port1" "$port2"; do
  [[ $(status_of "http://127.0.0.1:$p/v1/ready") == 503 ]] || fail "ready on $p: $(cat answer.json)"
  grep -q server.database.unavailable answer.json || fail "ready's code: $(cat answer.json)"
  [[ $(status_of "http://127.0.0.1:$p/v1/health") == 200 ]] || fail "health on $p"
done
expect_fail sync.server.unavailable "$client" sync --headless --profile ann --data-dir home --passphrase-file pass
grep -q '"status":503' s1.log || fail "s1 logged no 503"
grep '"status":503' s1.log | grep -q '"code":"server.database.unavailable"' || fail "s1's 503 has no code"
grep '"status":503' s1.log | grep -q '"cause":"' || fail "s1's 503 has no cause"

echo "step: the database comes back; both processes are ready again without a restart"
"$here/../support/pg.sh" resume "$work/pg"
wait_ready "$port1"; wait_ready "$port2"
"$client" sync --headless --profile ann --data-dir home --passphrase-file pass >/dev/null 2>&1 ||
  fail "sync after the database came back"

echo "step: restore --db with the services stopped"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
pids=()
"$server" restore --db "$db" --from outpost.dump >restore.txt 2>&1 || { cat restore.txt; fail "restore"; }
grep -q "new changes start at" restore.txt || fail "restore said: $(cat restore.txt)"
"$server" serve --db "$db" --data . --listen "127.0.0.1:$port1" >s1.log 2>&1 &  # the port the laptop knows
pids+=("$!")
wait_ready "$port1"
"$client" sync --headless --profile ann --data-dir home --passphrase-file pass >sync.txt 2>&1 ||
  { cat sync.txt; fail "sync with the restored server"; }
echo "pg_ops: all passed"
