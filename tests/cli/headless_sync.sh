#!/usr/bin/env bash
# End to end through the two binaries, over HTTPS on 127.0.0.1 with a pinned self-signed certificate:
# outpost-server init/team/user/enroll/serve, outpost enroll, outpost sync --headless, and the refusals
# a worker or IT officer can meet (used code, tampered pin, wrong passphrase, revoked device), and
# outpost-server export.
# Usage: headless_sync.sh SERVER_BIN CLIENT_BIN WORK_DIR
set -euo pipefail
server="$1"; client="$2"; work="$3"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../support/serve.sh"
rm -rf "$work"; mkdir -p "$work"; cd "$work"
fail() { echo "FAIL: $*" >&2; cat server.log >&2 || true; exit 1; }
expect_fail() {  # expect_fail CODE CMD...: the command must fail and print CODE
  local code="$1"; shift
  if "$@" >out.txt 2>&1; then cat out.txt; fail "expected failure with $code: $*"; fi
  grep -q "$code" out.txt || { cat out.txt; fail "expected $code from: $*"; }
}

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout server.key -out server.pem >/dev/null 2>&1
"$server" init --data data >/dev/null
"$server" team add north --data data >/dev/null
"$server" user add ann --team north --role worker --data data >/dev/null
# The server first, on a port the kernel picks; the enrolment file names that port.
start_server "$server" server.log --data data --tls-cert server.pem --tls-key server.key || fail "serve"
pid=$server_pid
trap 'kill $pid 2>/dev/null || true' EXIT
"$server" enroll --user ann --data data --url "https://127.0.0.1:$port" --ca-cert server.pem --out ann.outpost \
  >/dev/null
grep -q '"team": "north"' ann.outpost || fail "provisioning file has no team"
grep -q '"ca_sha256": "[0-9a-f]\{64\}"' ann.outpost || fail "provisioning file has no pin"
expect_fail "needs --ca-cert" "$server" enroll --user ann --data data --url "https://127.0.0.1:$port" --out x.outpost


echo "correct horse battery" >pass
# A tampered pin is refused before anything is sent.
sed 's/"ca_sha256": "\(.\)/"ca_sha256": "0/' ann.outpost >tampered.outpost
if cmp -s ann.outpost tampered.outpost; then sed -i 's/"ca_sha256": "0/"ca_sha256": "1/' tampered.outpost; fi
expect_fail sync.tls.pin_mismatch "$client" enroll --profile ann --provision tampered.outpost --data-dir home \
  --passphrase-file pass
"$client" enroll --profile ann --provision ann.outpost --data-dir home --passphrase-file pass >out.txt 2>&1 \
  || { cat out.txt; fail "enroll"; }
grep -q "Enrolled: user ann (worker), team north" out.txt || { cat out.txt; fail "enroll output"; }
[[ -f home/profiles/ann/outpost.db && -f home/profiles/ann/server.pem ]] || fail "profile files"
if grep -qa "$(grep -o '"code": "[^"]*"' ann.outpost | cut -d'"' -f4)" home/profiles/ann/*; then fail "code on disk"; fi
# The code is single use.
expect_fail sync.enroll.code_used "$client" enroll --profile ann2 --provision ann.outpost --data-dir home \
  --passphrase-file pass
[[ ! -e home/profiles/ann2 ]] || fail "a failed enrolment left a profile behind"

"$client" sync --headless --profile ann --data-dir home --passphrase-file pass >out.txt 2>&1 \
  || { cat out.txt; fail "sync"; }
grep -q "Sync complete" out.txt || { cat out.txt; fail "sync summary"; }
# Exports, while the server runs: a team's suggestions, the open-data release, and a bad option.
"$server" export --data data --team north --what suggestions --out sugg.csv || fail "export suggestions"
head -c 47 sugg.csv | grep -q "^id,form,team,created_by,created_at,updated_at," || { cat sugg.csv; fail "csv header"; }
[[ $(head -1 sugg.csv | tail -c 2 | od -An -tx1 | tr -d ' \n') == 0d0a ]] || fail "csv lines end in CRLF"
"$server" export --data data --team north --what cases --format json >cases.json || fail "export cases"
[[ $(tr -d ' \n' <cases.json) == "[]" ]] || { cat cases.json; fail "json of no cases"; }
"$server" export --data data --open-data >open.csv || fail "export open data"
[[ $(head -1 open.csv | tr -d '\r') == "team,month,measure,category,value" ]] || { cat open.csv; fail "open data"; }
"$server" export --data data --team north --what cases --out-dir per-form >/dev/null || fail "export --out-dir"
[[ -f per-form/home_visit.csv && -f per-form/dictionary.csv ]] || { ls per-form; fail "per-form files"; }
[[ $(head -c 3 per-form/home_visit.csv | od -An -tx1 | tr -d ' \n') == efbbbf ]] || fail "no byte-order mark"
[[ $(stat -c %a per-form) == 700 && $(stat -c %a per-form/dictionary.csv) == 600 ]] || fail "export folder modes"
expect_fail server.output.exists "$server" export --data data --team north --what cases --out-dir per-form
expect_fail "format is csv or json" "$server" export --data data --team north --what cases --format xml
expect_fail "needs --team TEAM and --what" "$server" export --data data --what cases

echo "wrong passphrase" >bad
expect_fail store.passphrase.wrong "$client" sync --headless --profile ann --data-dir home --passphrase-file bad
device=$(grep -o '"device_id": "[^"]*"' home/profiles/ann/profile.json | cut -d'"' -f4)
"$server" device revoke "$device" --data data >/dev/null
expect_fail sync.auth.revoked "$client" sync --headless --profile ann --data-dir home --passphrase-file pass
grep -q "Sync did not finish" out.txt || fail "no summary after a refused sync"
# IT makes a new file for the same person: the same profile is enrolled again and syncs.
"$server" enroll --user ann --data data --url "https://127.0.0.1:$port" --ca-cert server.pem --out ann-new.outpost \
  >enroll.txt
if grep -q "$(grep -o '"code": "[^"]*"' ann-new.outpost | cut -d'"' -f4)" enroll.txt; then
  fail "enroll printed the one-time code"
fi
"$client" sync --headless --profile ann --provision ann-new.outpost --data-dir home --passphrase-file pass \
  >out.txt 2>&1 || { cat out.txt; fail "sync with a new provisioning file"; }
grep -q "Enrolled again: user ann" out.txt || { cat out.txt; fail "the profile was not enrolled again"; }
grep -q "Sync complete" out.txt || { cat out.txt; fail "no sync after enrolling again"; }
[[ $(grep -o '"device_id": "[^"]*"' home/profiles/ann/profile.json | cut -d'"' -f4) != "$device" ]] ||
  fail "the profile kept the revoked device"
"$server" device revoke "$device" --data data >out.txt || fail "revoking a revoked device failed"
grep -q "already revoked" out.txt || { cat out.txt; fail "revoking twice said: $(cat out.txt)"; }
"$server" device list --data data >devices.txt
grep -qE $'\t[0-9]+\\.[0-9]+\\.[0-9]+\tactive$' devices.txt || { cat devices.txt; fail "device list has no version"; }
grep -qE $'\t20[0-9-]+ [0-9:]+ UTC\t[0-9]+\\.[0-9]+' devices.txt || { cat devices.txt; fail "device list has no last seen"; }
if grep -q "correct horse" server.log; then fail "passphrase in the server log"; fi
echo "headless sync ok"
