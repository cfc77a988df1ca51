#!/usr/bin/env bash
# The administrator's commands given hostile input, through the real outpost-server binary and a real
# server on 127.0.0.1 (issue #22's findings F7, F9, F11, F12 and the CSV half of F13):
#   - names ".", "..", "-rf" are refused by team add, user add and provision (one name rule);
#   - provision checks every line before it adds anyone or writes a file, and names the bad line; a
#     quoted line break stays inside its cell; a rerun's codes replace the first run's;
#   - export --out never writes over a file or through a symbolic link, and makes the file 0600;
#   - a device name with control characters is refused at enrolment, and one already stored (from
#     before the rule) is escaped by device list, never printed raw.
# Usage: admin_hostile.sh SERVER_BIN WORK_DIR
set -euo pipefail
server="$1"; work="$2"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../support/serve.sh"
rm -rf "$work"; mkdir -p "$work"; cd "$work"
fail() { echo "FAIL: $*" >&2; cat server.log >&2 2>/dev/null || true; exit 1; }
srv() { "$server" "$@" --data data; }
expect_fail() {  # expect_fail TEXT CMD...: the command must fail, and say TEXT
  local text="$1"; shift
  if "$@" >out.txt 2>&1; then cat out.txt; fail "expected a failure saying '$text': $*"; fi
  grep -qF -- "$text" out.txt || { cat out.txt; fail "expected '$text' from: $*"; }
}
code_of() { sed -n 's/.*"code": *"\([^"]*\)".*/\1/p' "$1" | head -1; }

srv init >/dev/null
srv team add north >/dev/null

echo "F11: one name rule for teams and people"
for name in . .. -rf .hidden 'a/b' ''; do
  expect_fail server.account.invalid srv team add "$name"
  expect_fail server.account.invalid srv user add "$name" --team north --role worker
done
srv user add ann --team north --role worker >/dev/null
for name in . .. -rf; do
  printf 'user,role\nlee,lead\n%s,worker\n' "$name" >dots.csv
  expect_fail "line 3" srv provision --team north --users dots.csv --out "dots-$name"
done

echo "F9: provision is all or nothing, and names the line"
{
  echo "user,role"
  for i in $(seq 1 300); do echo "worker$i,worker"; done
  echo "bad user!,worker"
} >people.csv
expect_fail "line 302" srv provision --team north --users people.csv --out prov
grep -qF "bad user!" out.txt || fail "the bad name is not shown"
grep -qF "The list of people" out.txt || fail "the hint is not about the list"
[[ ! -e prov ]] || fail "a refused provision left $(ls prov | wc -l) files"
if ls -A . | grep -q '^\.prov\.partial'; then fail "a refused provision left its staging folder"; fi
expect_fail server.account.not_found srv enroll --user worker1 --out w1.outpost
# A quoted line break is part of its cell: one person named with a line break (refused), not two.
printf 'user,role\r\n"amy\r\nbob",worker\r\n' >quoted.csv
expect_fail "line 2" srv provision --team north --users quoted.csv --out quoted
expect_fail server.account.not_found srv enroll --user bob --out bob.outpost
# The good list goes through whole; every account is new, so nothing was added before.
sed '$d' people.csv >good.csv
srv provision --team north --users good.csv --out prov >/dev/null
[[ $(ls prov/*.outpost | wc -l) -eq 300 ]] || fail "not 300 provisioning files"
[[ $(grep -c ',added$' <(tr -d '\r' <prov/summary.csv)) -eq 300 ]] || fail "not every account was new"
[[ $(stat -c %a prov/worker1.outpost) == 600 ]] || fail "a provisioning file is not 0600"
expect_fail server.output.exists srv provision --team north --users good.csv --out prov

echo "F9: a second provisioning expires the first one's codes"
printf 'user,role\nann,worker\n' >ann.csv
srv provision --team north --users ann.csv --out first >/dev/null
srv provision --team north --users ann.csv --out second >/dev/null
start_server "$server" server.log --data data || fail "the server did not start"
trap 'kill $server_pid 2>/dev/null || true' EXIT
enrol() {  # enrol FILE NAME: POST /v1/enroll with FILE's code; prints the status
  local code
  code=$(sed -n 's/.*"code": *"\([^"]*\)".*/\1/p' "$1")
  curl -s -o answer.json -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "{\"code\":\"$code\",\"device_name\":\"$2\"}" "http://127.0.0.1:$port/v1/enroll"
}
[[ $(enrol first/ann.outpost laptop) == 410 ]] || fail "the first run's code still enrols"
[[ $(code_of answer.json) == sync.enroll.code_expired ]] || fail "not sync.enroll.code_expired: $(cat answer.json)"

echo "F7: control characters in a device name"
[[ $(enrol second/ann.outpost 'laptop\tann\tnorth\u001b[31m') == 400 ]] || fail "a name with escapes enrolled"
[[ $(code_of answer.json) == sync.protocol.malformed ]] || fail "not sync.protocol.malformed: $(cat answer.json)"
[[ $(enrol second/ann.outpost "Gliniadur Siân") == 200 ]] || fail "a good name was refused: $(cat answer.json)"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; trap - EXIT
# A name stored before the rule (written straight into the database, as an old server kept it).
sqlite3 data/server.db "UPDATE devices SET name = 'old' || char(9) || 'lee' || char(10) || 'forged row' || \
  char(27) || '[2J' WHERE user = 'ann';"
srv device list >devices.txt
if grep -q $'\x1b' devices.txt; then fail "device list printed an escape"; fi
[[ $(grep -c . devices.txt) -eq 2 ]] || { cat -A devices.txt; fail "device list printed a forged row"; }
grep -qF 'old\x09lee\x0Aforged row\x1B[2J' devices.txt || { cat -A devices.txt; fail "the name is not shown escaped"; }

echo "F12: export --out never overwrites, never follows a link, and is 0600"
echo "keep me" >existing.csv
expect_fail server.output.exists srv export --team north --what cases --out existing.csv
[[ $(cat existing.csv) == "keep me" ]] || fail "export overwrote a file"
echo "secret" >target.txt
ln -s target.txt link.csv
expect_fail server.output.exists srv export --team north --what cases --out link.csv
[[ $(cat target.txt) == "secret" ]] || fail "export wrote through a symbolic link"
ln -s nowhere.csv dangling.csv
expect_fail server.output.exists srv export --team north --what cases --out dangling.csv
[[ ! -e nowhere.csv ]] || fail "export created a file through a dangling link"
umask 022
srv export --team north --what cases --out fresh.csv
[[ $(stat -c %a fresh.csv) == 600 ]] || fail "the export is $(stat -c %a fresh.csv), not 600"
echo "restore into an empty folder says nothing of a database kept aside"
srv backup --out bk >/dev/null
mkdir fresh
"$server" restore --from bk --data fresh >restore.txt 2>&1 || { cat restore.txt; fail "restore into an empty folder"; }
grep -q "^Restored" restore.txt || fail "restore said: $(cat restore.txt)"
if grep -q "kept beside" restore.txt; then fail "restore claimed a previous database was kept"; fi
"$server" restore --from bk --data data >restore.txt 2>&1 || { cat restore.txt; fail "restore over a database"; }
grep -q "kept beside" restore.txt || fail "restore over a database did not say where the old one is"
echo "admin_hostile: all passed"
