#!/usr/bin/env bash
# The recovery code in a real window under Xvfb, driven by X keyboard events (xdotool) as a person
# drives it, against a real outpost-server on loopback whose enrolment file carries the service desk's
# escrow key (`provision --escrow`), so the test can read each code as the desk would
# (`outpost-server escrow open`) and nothing else hands it over:
#   1. a profile is created and enrolled; the code is shown; the window asks for one group back (its
#      title names the group), a wrong group shows the code again, the right one goes on to the cases;
#   2. with the server gone, a case is written (`outpost --script`), so it waits to be sent;
#   3. "Forgot passphrase?": a wrong code is refused and the window stays locked; the right code and a
#      new passphrase open the profile, and a new code is shown (the used one sealed no more) and typed
#      back; Settings makes yet another only after the passphrase (a wrong one changes nothing);
# checked from outside: the old passphrase and the used code open nothing, the new passphrase shows
# the case with its change waiting, and a headless sync with the server back sends it (the server's
# export holds it).
#   recovery_window.sh SERVER CLIENT XSHOT WORK
set -euo pipefail
export LC_ALL=C.UTF-8
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server_bin=$1 client=$2 xshot=$3 work=$4
shots=$work/shots
rm -rf "$work"
mkdir -p "$work/home" "$shots"
cd "$work"
laptop=$work/laptop
pass="correct horse battery staple"
new_pass="a new passphrase for a new week"
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
source "$here/../support/xwindow.sh"

# ---- the server, the desk's key, and an enrolment file sealed to it ----
source "$here/../support/serve.sh"
"$server_bin" init --data srv >/dev/null
"$server_bin" team add north --data srv >/dev/null
"$server_bin" user add ann --team north --role worker --data srv >/dev/null
"$server_bin" escrow keygen --out desk >/dev/null
start_server "$server_bin" server.log --data srv || fail "the server did not start"
"$server_bin" enroll --user ann --url "http://127.0.0.1:$port" --data srv --escrow desk/desk.pub \
  --out "$HOME/ann.outpost" >/dev/null
grep -q '"escrow_key"' "$HOME/ann.outpost" || fail "the enrolment file carries no escrow key"

start_display  # an X display of our own, and the window's input (xwindow.sh)
sealed=$laptop/profiles/ann/recovery.sealed
desk_code() { "$server_bin" escrow open --key desk/desk.key "$sealed" | tr -d '[:space:]'; }
# The code's group the window asks for (its title names it), typed back.
type_group_back() {
  local code=$1 n group
  wait_title "Type group [0-9] of the code" 10
  n=$(title | sed -n 's/.*Type group \([0-9]\) of the code/\1/p')
  group=$(cut -d- -f"$n" <<<"$code")
  [[ ${#group} -eq 4 ]] || fail "group $n of $code is \"$group\""
  typ "$group"
  press Return
}

# ---- 1. a profile, its code shown and checked ----
step "create and enrol a profile; the code is shown, then a group of it is asked for"
start_client
wait_title "Create a profile"
typ "Ann"
press Tab
typ "$pass"
press Tab
typ "$pass"
press Return
wait_title "Enrol"
typ "$HOME/ann.outpost"
press Return
wait_title "Recovery code" 60
shot 01-recovery-code
[[ -s "$sealed" ]] || fail "no recovery.sealed in the profile folder"
code=$(desk_code) || fail "the desk's key does not open recovery.sealed"
[[ $code =~ ^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}-[0-9A-Z]{2}$ ]] || fail "the desk opened \"$code\", not a recovery code"
grep -qF "$code" "$sealed" && fail "recovery.sealed holds the code in clear"
press Tab Return           # "I have written it down"
wait_title "Type group [0-9] of the code" 10
shot 02-type-a-group
typ "ZZZZ"                 # a wrong group: said so, and the code shown again
press Return
wait_title "Recovery code" 10
shot 03-wrong-group
press Return               # the code shown again, "I have written it down" has the keyboard
type_group_back "$code"
wait_title "Cases" 30
shot 04-cases
stop_client

# ---- 2. a case written while the server is away ----
step "the server goes; a case is written in the window and waits to be sent"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
cat >case.txt <<FLOW
frames 3
type Passphrase $pass
click Unlock
wait-for "New case" 30
click "New case"
click "Home visit"
wait-for Save
type "Household or person visited" The Okafor family
click "Date of visit: Today"
click "Type of visit"
click "Follow up"
click "Concerns identified: No"
click Save
frames 5
screenshot $shots/05-case-offline.png
quit
FLOW
"$client" --data-dir "$laptop" --script case.txt >>client.log 2>&1 || fail "the scripted case: $(tail -3 client.log)"
out=$(OUTPOST_PASSPHRASE=$pass "$client" status --profile ann --data-dir "$laptop") || fail "status: $out"
grep -q "Cases: 1 (Home visit 1)" <<<"$out" || fail "the case is not there: $out"

# ---- 3. the passphrase forgotten ----
step "Forgot passphrase?: a wrong code is refused; the right one and a new passphrase open the profile"
start_client
wait_title "Unlock"
press Tab Tab Tab Return   # past Unlock and "Someone else" to "Forgot passphrase?"
wait_title "Forgot passphrase"
wrong=${code:0:31}$([[ ${code:31:1} == 0 ]] && echo 1 || echo 0)
typ "$wrong"
press Tab
typ "$new_pass"
press Tab
typ "$new_pass"
press Return
sleep 3
[[ "$(title)" == "Outpost - Forgot passphrase" ]] || fail "a wrong code opened \"$(title)\""
shot 06-wrong-code
typ "$code"                # the code's field is empty again and has the keyboard; the passphrases stay
press Tab Tab Return
wait_title "Recovery code" 60
shot 07-new-code
new_code=$(desk_code) || fail "the desk's key does not open the new recovery.sealed"
[[ "$new_code" != "$code" ]] || fail "the used code was not replaced"
press Tab Return
type_group_back "$new_code"
wait_title "Cases" 30
shot 08-recovered

step "Settings: a new code is made only after the passphrase, and replaces the one in use"
click_at 44 320            # Settings, in the navigation
wait_title "Settings"
click_at 550 417           # "Your passphrase", under "Recovery code"
typ "not my passphrase"
click_at 367 454           # "Make a new recovery code"
sleep 3
[[ "$(title)" == "Outpost - Settings" ]] || fail "a wrong passphrase made a new code: \"$(title)\""
shot 09-settings-wrong-passphrase
[[ "$(desk_code)" == "$new_code" ]] || fail "a wrong passphrase replaced the code"
click_at 550 417
typ "$new_pass"
click_at 367 454
wait_title "Recovery code" 60
shot 10-settings-new-code
third_code=$(desk_code) || fail "the desk's key does not open the code made in Settings"
[[ "$third_code" != "$new_code" ]] || fail "Settings did not replace the code"
press Tab Return
type_group_back "$third_code"
wait_title "Settings" 30
stop_client

# ---- from outside ----
step "the old passphrase and the used code open nothing; the new passphrase shows the change waiting"
if OUTPOST_PASSPHRASE=$pass "$client" status --profile ann --data-dir "$laptop" >old.txt 2>&1; then
  fail "the forgotten passphrase still opens the profile"
fi
grep -q "store.passphrase.wrong" old.txt || fail "the old passphrase: $(cat old.txt)"
out=$(OUTPOST_PASSPHRASE=$new_pass "$client" status --profile ann --data-dir "$laptop") || fail "status: $out"
echo "$out"
grep -q "Cases: 1 (Home visit 1)" <<<"$out" || fail "the case is not there after the recovery: $out"
step "the server is back; a headless sync sends the change"
: >server2.log
"$server_bin" serve --data srv --listen "127.0.0.1:$port" >server2.log 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening" server2.log && break; sleep 0.1; done
OUTPOST_PASSPHRASE=$new_pass "$client" sync --headless --profile ann --data-dir "$laptop" >sync.log 2>&1 ||
  fail "headless sync: $(cat sync.log)"
grep -q "Waiting to send: 0" sync.log || fail "something is still waiting: $(cat sync.log)"
"$server_bin" export --team north --what cases --format json --data srv --out cases.json
grep -qF "The Okafor family" cases.json || fail "the server does not hold the case written offline"
step "passed ($(ls "$shots" | wc -l) screenshots in $shots)"
