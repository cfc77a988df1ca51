#!/usr/bin/env bash
# Across systems: a Linux outpost-server on 127.0.0.1 over HTTPS with a pinned self-signed
# certificate; the Windows outpost.exe under Wine, used by a Windows user called "Siân Llŷr" (her
# profile, Local AppData and Downloads are under C:\users\Siân Llŷr); and a Linux laptop of a
# teammate. The Windows laptop enrols from its provisioning file (IT's one headless step), then in
# the real window (Wine on Xvfb) unlocks, records a case with a photo, syncs, saves the photo to her
# Downloads folder and screenshots the cases list. The Linux laptop records a case of its own and
# sees hers; the Windows laptop pulls his. Nothing conflicts, and the server holds each case once,
# written by its author. Last, her passphrase typed at a real console (tmux) is read without echo.
#   e2e.sh SERVER LINUX_CLIENT WINDOWS_EXE WORK [SCREENSHOT_OUT]
set -euo pipefail
server=$(realpath "$1") linux_client=$(realpath "$2") win_exe=$(realpath "$3") work=$(realpath -m "$4")
shot_out=${5:+$(realpath -m "$5")}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../support/serve.sh"
rm -rf "$work"; mkdir -p "$work"; cd "$work"
fail() { echo "FAIL: $*" >&2; cat server.log >&2 2>/dev/null || true; exit 1; }

export LC_ALL=C.UTF-8 WINEDEBUG=-all WINEPREFIX=$work/wine
# Wine names the Windows user, and her profile folder, after $USER.
export USER="Siân Llŷr" LOGNAME="Siân Llŷr"
wineboot --init >/dev/null 2>&1 || fail "wineboot"
# A crash must end the program, not start Wine's debugger and wait.
wine reg delete 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Debugger /f >/dev/null 2>&1 || true
home_c="$WINEPREFIX/drive_c/users/$USER"
[[ -d "$home_c" ]] || fail "Wine made no profile folder for $USER"
mkdir -p "$home_c/Downloads"
win() { wine "$win_exe" "$@"; }

# --- The central service (Linux), HTTPS with a self-signed certificate --------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout server.key -out server.pem >/dev/null 2>&1
"$server" init --data srv >/dev/null
"$server" team add north --data srv >/dev/null
"$server" user add sian --team north --role worker --data srv >/dev/null
"$server" user add ben --team north --role worker --data srv >/dev/null
start_server "$server" server.log --data srv --tls-cert server.pem --tls-key server.key || fail "serve"
trap 'kill $server_pid 2>/dev/null || true; wineserver -k 2>/dev/null || true' EXIT
for u in sian ben; do
  "$server" enroll --user $u --data srv --url "https://127.0.0.1:$port" --ca-cert server.pem --out $u.outpost >/dev/null
done
echo "correct horse battery staple" >pass

# --- Windows: IT's one step enrols the laptop from the provisioning file ------------------------
win sync --headless --provision "$(winepath -w "$work/sian.outpost")" --passphrase-file "$(winepath -w "$work/pass")" \
  >win-enrol.txt 2>&1 || { cat win-enrol.txt; fail "Windows enrol + first sync"; }
grep -q "Sync complete" win-enrol.txt || { cat win-enrol.txt; fail "Windows first sync summary"; }
profiles="$home_c/AppData/Local/Outpost/data/profiles"
[[ -f "$profiles/sian/outpost.db" ]] || { find "$WINEPREFIX/drive_c/users" -maxdepth 6 | head -50; fail "no profile under Local AppData\\Outpost"; }
if grep -qa "Okafor" "$profiles/sian/outpost.db"; then fail "plaintext in the store"; fi

# --- Windows: the real window under Wine and Xvfb -----------------------------------------------
# The photo to attach waits in her Pictures folder (the file picker opens in her home folder).
mkdir -p "$home_c/Pictures"
cp "$here/../../docs/screenshots/16-library.png" "$home_c/Pictures/damp-wall.png"
shot_w=$(winepath -w "$work/windows-cases.png")
cat >win-flow.txt <<FLOW
frames 3
type Passphrase correct horse battery staple
click Unlock
wait-for "New case" 60
wait-synced 60
click "New case"
frames 2
click "Home visit"
wait-for Save
type "Household or person visited" The Okafor family, Llŷr Street
click "Date of visit: Today"
click "Type of visit"
click "Follow up"
click "Parent or carer"
click Child
type "Who was seen, and how they were" Mum and both children at home. Siân saw them.
click "Child or adult at risk seen alone: Yes"
click "Concerns identified: No"
click Save
frames 3
click "Attach a file"
wait-for Pictures/
click Pictures/
wait-for damp-wall.png
click damp-wall.png
frames 3
click Save
wait-synced 60
frames 20
click "Save damp-wall.png to disk"
frames 5
click "Sync now"
wait-synced 60
click Cases
frames 5
screenshot $shot_w
quit
FLOW
flow_w=$(winepath -w "$work/win-flow.txt")
# Wine's desktop process, started by the commands before without a display, would keep the window
# from opening: end it, so the window's Wine starts afresh on Xvfb's display.
wineserver -k 2>/dev/null || true; wineserver -w 2>/dev/null || true
xvfb-run -a -s '-screen 0 1280x800x24' wine "$win_exe" --script "$flow_w" \
  >win-window.txt 2>&1 || { cat win-window.txt; fail "the Windows window flow"; }
[[ -s windows-cases.png ]] || fail "no screenshot from the Windows window"
cmp -s "$home_c/Pictures/damp-wall.png" "$home_c/Downloads/damp-wall.png" ||
  { ls -la "$home_c/Downloads"; fail "the photo was not saved to her Downloads folder"; }
if grep -qa "Okafor" "$profiles/sian/outpost.db"; then fail "plaintext in the store after the window"; fi

# --- Linux: the teammate's laptop ---------------------------------------------------------------
"$linux_client" enroll --profile ben --provision ben.outpost --data-dir linux --passphrase-file pass >/dev/null 2>&1 ||
  fail "Linux enrol"
cat >linux-flow.txt <<FLOW
frames 3
type Passphrase correct horse battery staple
click Unlock
wait-for "New case" 30
wait-synced 30
click "New case"
frames 2
click "Home visit"
wait-for Save
type "Household or person visited" The Jones household
click "Date of visit: Today"
click "Type of visit"
click "Follow up"
click "Parent or carer"
click Child
type "Who was seen, and how they were" Everyone well.
click "Child or adult at risk seen alone: Yes"
click "Concerns identified: No"
click Save
frames 3
click "Sync now"
wait-synced 30
quit
FLOW
XDG_CONFIG_HOME=$work/linux-config xvfb-run -a -s '-screen 0 1280x800x24' "$linux_client" --data-dir linux \
  --script linux-flow.txt >linux-window.txt 2>&1 || { cat linux-window.txt; fail "the Linux window flow"; }
"$linux_client" status --profile ben --list --data-dir linux --passphrase-file pass >linux-status.txt 2>&1 ||
  { cat linux-status.txt; fail "Linux status"; }
grep -q "The Okafor family, Llŷr Street" linux-status.txt || { cat linux-status.txt; fail "the Linux laptop does not see the Windows case"; }

# --- Windows pulls the teammate's case ----------------------------------------------------------
wineserver -k 2>/dev/null || true; wineserver -w 2>/dev/null || true
win sync --headless --profile sian --passphrase-file "$(winepath -w "$work/pass")" >win-sync.txt 2>&1 ||
  { cat win-sync.txt; fail "Windows headless sync"; }
grep -q "conflicts 0" win-sync.txt || { cat win-sync.txt; fail "the Windows sync reported conflicts"; }
win status --profile sian --list --passphrase-file "$(winepath -w "$work/pass")" >win-status.txt 2>&1 ||
  { cat win-status.txt; fail "Windows status"; }
grep -q "The Jones household" win-status.txt || { cat win-status.txt; fail "the Windows laptop does not see the Linux case"; }
grep -q "The Okafor family, Llŷr Street" win-status.txt || { cat win-status.txt; fail "the Windows case is missing"; }

# --- The passphrase typed at a real console (tmux), not shown ------------------------------------
wineserver -k 2>/dev/null || true; wineserver -w 2>/dev/null || true
tmux -L outpost-e2e kill-server 2>/dev/null || true
tmux -L outpost-e2e new-session -d -x 150 -y 20 \
  "wine '$win_exe' status --profile sian; echo \$? >console-rc.txt; sleep 30"
for _ in $(seq 100); do
  tmux -L outpost-e2e capture-pane -p | grep -q "Passphrase:" && break
  sleep 0.2
done
tmux -L outpost-e2e send-keys "correct horse battery staple"
sleep 1
tmux -L outpost-e2e capture-pane -p >console-typed.txt
tmux -L outpost-e2e send-keys Enter
for _ in $(seq 150); do [[ -s console-rc.txt ]] && break; sleep 0.2; done
tmux -L outpost-e2e capture-pane -p >console-after.txt
tmux -L outpost-e2e kill-server 2>/dev/null || true
grep -q "Passphrase:" console-typed.txt || { cat console-typed.txt; fail "no passphrase prompt on the console"; }
if grep -q "horse" console-typed.txt console-after.txt; then cat console-after.txt; fail "the passphrase was shown on the console"; fi
[[ $(cat console-rc.txt 2>/dev/null) == 0 ]] || { cat console-after.txt; fail "status with the passphrase typed at the console"; }
grep -q "Waiting to send: 0" console-after.txt || { cat console-after.txt; fail "status after the console passphrase"; }

kill $server_pid; wait $server_pid 2>/dev/null || true; trap - EXIT
wineserver -k 2>/dev/null || true
count() { sqlite3 srv/server.db "SELECT count(*) FROM srv_records WHERE type = 'home_visit' AND created_by = '$1'"; }
[[ $(count sian) == 1 && $(count ben) == 1 ]] || fail "the server holds $(count sian) cases by sian and $(count ben) by ben, expected 1 and 1"
conflicts=$(sqlite3 srv/server.db "SELECT count(*) FROM srv_records WHERE type = 'conflict'")
[[ $conflicts == 0 ]] || fail "the server holds $conflicts conflict records"
photo=$(sha256sum "$home_c/Pictures/damp-wall.png" | cut -d' ' -f1)
cmp -s "$home_c/Pictures/damp-wall.png" "srv/blobs/north/$photo" || fail "the photo did not reach the server whole"
[[ -n $shot_out ]] && cp windows-cases.png "$shot_out"
echo "e2e: Windows (Wine, user Siân Llŷr) and Linux laptops synced through the Linux server over pinned HTTPS"
