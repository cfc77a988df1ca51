#!/usr/bin/env bash
# A day in the field with real input: the client in a real window under Xvfb, driven only by X
# keyboard events (xdotool) and the X clipboard (xclip), as a person drives it, never through
# --script. Against a real outpost-server on loopback:
#   1. a profile named "Siân Llŷr" is created and enrolled from the keyboard alone (Tab, Enter);
#   2. three cases are written with the keyboard alone (Ctrl+N, Enter on the form menu and on
#      drop-downs, Tab through every control, Space on check boxes and radio buttons, Ctrl+S): one in
#      Welsh, one in Polish, one with Arabic, Chinese and an emoji in its name, a pasted Welsh paragraph
#      and a pasted 10,000-character note (cut at the field's 4,000 with a message);
#   3. Escape just after a save leaves the form saved; the quick idea opens with the cursor in its
#      first field and Escape closes it, keeping what was typed as a draft;
#   4. lock, a wrong passphrase (the field keeps the keyboard), unlock; then a restart;
#   5. a second profile is created from the lock screen, and the two are switched both ways.
# Checked from outside: the window title at each step, `outpost status` (exactly three cases, no
# unsaved form but the idea put aside), the server's export after a headless sync (every name exact,
# the note 4,000 characters), and a screenshot of each step (SHOTS).
#   real_input.sh SERVER CLIENT XSHOT WORK [SHOTS]
set -euo pipefail
export LC_ALL=C.UTF-8
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server_bin=$1 client=$2 xshot=$3 work=$4
shots=${5:-$work/shots}
rm -rf "$work"
mkdir -p "$work/home" "$shots"
cd "$work"
laptop=$work/laptop
pass_sian="llwybr hir drwy'r goedwig"
pass_lee="a long walk by the river"
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config WINEDEBUG=-all
source "$here/../support/xwindow.sh"

# ---- the server, and an enrolment file for each person ----
source "$here/../support/serve.sh"
"$server_bin" init --data srv >/dev/null
"$server_bin" team add north --data srv >/dev/null
"$server_bin" user add ann --team north --role worker --data srv >/dev/null
"$server_bin" user add lee --team north --role lead --data srv >/dev/null
start_server "$server_bin" server.log --data srv || fail "the server did not start"
"$server_bin" enroll --user ann --url "http://127.0.0.1:$port" --data srv --out "$HOME/ann.outpost" >/dev/null
"$server_bin" enroll --user lee --url "http://127.0.0.1:$port" --data srv --out "$HOME/lee.outpost" >/dev/null

# ---- an X display of our own, and the window's input (xwindow.sh) ----
on_cleanup() { pkill -f "xclip -selection clipboard" 2>/dev/null || true; }
start_display

# ---- input, as a person gives it (typ replaces xwindow.sh's: it types every script) ----
# Gives each character of the strings that the US keymap lacks a keycode of its own (a spare one, or
# one of the media keys no step presses), once, before the client starts, and checks they stay bound
# (start_display's Xvfb does not reset). Left to itself, xdotool binds a spare keycode for the length
# of one key press and the client may read that press against the keymap before or after: under load
# a letter was dropped now and then ("Gęśl" for "Gęślą", "Jań" for "Jaźń").
bind_keys() {
  local all="$*" ch cp i sym
  local -A seen=()
  local -a free bound=()
  # xmodmap now and then finds a fresh display not yet open to it (while xdotool already connects):
  # it is asked again, for up to 3 s.
  xmm() { local i; for i in $(seq 30); do xmodmap "$@" 2>/dev/null && return 0; sleep 0.1; done; xmodmap "$@"; }
  xmm -pke >keymap.txt || fail "xmodmap cannot read the keymap of $DISPLAY"
  mapfile -t free < <(awk '$1 == "keycode" && $2 >= 150 && (NF == 3 || $4 ~ /^XF86/) { print $2 }' keymap.txt)
  local n=0
  for ((i = 0; i < ${#all}; i++)); do
    ch=${all:i:1}
    printf -v cp '%d' "'$ch"
    ((cp >= 127)) || continue
    [[ -n "${seen[$cp]:-}" ]] && continue
    seen[$cp]=1
    ((n < ${#free[@]})) || fail "no spare keycode left for U+$(printf '%04X' "$cp")"
    # By value (typ sends the same): a name such as U00E2 becomes the Latin-1 keysym 0xe2 instead.
    sym=$(printf '0x%x' $((0x1000000 + cp)))
    xmm -e "keycode ${free[n]} = $sym $sym" || fail "xmodmap cannot bind U+$(printf '%04X' "$cp")"
    bound+=("${free[n]}:$sym")
    n=$((n + 1))
  done
  xdotool getdisplaygeometry >/dev/null  # another client comes and goes: the keys must outlive it
  xmm -pk >keymap.txt || fail "xmodmap cannot read the keymap of $DISPLAY"
  local pair
  for pair in "${bound[@]}"; do
    awk -v k="${pair%%:*}" -v s="${pair#*:}" '$1 == k && $2 == s { ok = 1 } END { exit !ok }' keymap.txt ||
      fail "keycode ${pair%%:*} lost its keysym ${pair#*:}: $(awk -v k="${pair%%:*}" '$1 == k' keymap.txt)"
  done
}
# Types text: runs of ASCII with `xdotool type`, every other character by its Unicode keysym, which
# bind_keys has put on a keycode of its own.
typ() {
  local s=$1 run="" ch cp i
  for ((i = 0; i < ${#s}; i++)); do
    ch=${s:i:1}
    printf -v cp '%d' "'$ch"
    if ((cp >= 32 && cp < 127)); then
      run+=$ch
    else
      [[ -n "$run" ]] && xdotool type --delay 20 -- "$run"
      run=""
      xdotool key --delay 60 "$(printf '0x%x' $((0x1000000 + cp)))"
    fi
  done
  [[ -n "$run" ]] && xdotool type --delay 20 -- "$run"
  sleep 0.35
}
# Puts text on the X clipboard (xclip stays to serve it) and pastes it with Ctrl+V.
paste() {
  pkill -f "xclip -selection clipboard" 2>/dev/null || true
  printf '%s' "$1" | xclip -selection clipboard -i
  sleep 0.2
  press ctrl+v
}
status() { OUTPOST_PASSPHRASE=$2 "$client" status --profile "$1" --data-dir "$laptop" --list; }

# ---- 2's names are typed, so their letters need keys (see bind_keys) ----
welsh_name="Caffi'r Gornel, Llanelwy"
polish_name="Zażółć Gęślą Jaźń sp. z o.o."
other_name="محمد 王伟 😀 Okafor"
bind_keys "Siân Llŷr" "$pass_sian" "$pass_lee" "$welsh_name" "$polish_name" "$other_name" "Czysto. Lodówka do naprawy."

# ---- 1. a profile, from the keyboard alone ----
step "create and enrol a profile with the keyboard"
start_client
wait_title "Create a profile"
typ "Siân Llŷr"
press Tab
typ "$pass_sian"
press Tab
typ "$pass_sian"
press Return
wait_title "Enrol"
typ "$HOME/ann.outpost"
shot 01-enrol-typed
press Return
wait_title "Recovery code" 60
shot 01b-recovery-code-offered
press Tab Tab Return       # the recovery code offered: past "I have written it down" to "Skip"
wait_title "Cases" 60
shot 02-cases-empty

# ---- 2. three cases, with the keyboard alone ----
welsh_note="Gwelwyd y perchennog a dau aelod o staff. Roedd y gegin yn lân; mae angen trwsio'r oergell."
long_note=$(printf 'Nodyn hir %.0s' $(seq 1000))  # 10,000 characters
[[ ${#long_note} -eq 10000 ]] || fail "the long note is ${#long_note} characters, not 10000"

step "case 1: a home visit, Welsh, every control from the keyboard"
press ctrl+n
press Down Return  # "Which form?" opens on its first form, Carer's assessment; then Home visit
wait_title "New Home visit"
typ "2026-12-05"           # Date of visit has the keyboard
press Tab Tab              # past "Today"
typ "$welsh_name"
press Tab Return           # Type of visit: Enter opens it
press Down Return          # ...Unannounced
press Tab space            # People seen: parent or carer
press Tab Tab Tab Tab Tab Tab
paste "$welsh_note"        # Who was seen, and how they were
press Tab Tab space        # Seen alone: No
press Tab Tab space        # Concerns identified: No
wait_title "New Home visit (not saved)"
shot 03-case-1-typed
press ctrl+s
wait_title "Home visit"
shot 04-case-1-saved

step "case 2: a premises inspection, Polish, an invalid date then Escape straight after the save"
press ctrl+n
press Down Down Down Return  # past Home visit and Housing disrepair inspection
wait_title "New Premises inspection"
typ "2026-13-45"
press Tab Tab
typ "$polish_name"
press Tab Tab Return       # past the reference; Regime
press Return               # food hygiene
press Tab Return Return    # Type: programmed
press Tab Return Down Return  # Outcome: advice given
press Tab                  # Rating
typ "4"
press Tab
typ "Czysto. Lodówka do naprawy."
press Tab Tab space        # Samples taken: No
press Tab Tab space        # Follow-up required: No
press ctrl+s
wait_title "New Premises inspection (not saved)"  # refused: the date
shot 05-case-2-date-refused
# The refused save put the keyboard in the first answer to fix: the date.
press ctrl+a
typ "2026-12-04"
press ctrl+s
wait_title "Premises inspection"
press Escape               # the date field still has the keyboard: nothing old may come back
sleep 0.5
[[ "$(title)" == "Outpost - Premises inspection" ]] || fail "Escape after a save left \"$(title)\""
shot 06-case-2-saved-then-escape

step "case 3: other scripts in the name, a 10,000-character note pasted"
press ctrl+n
press Down Return
wait_title "New Home visit"
typ "2026-12-03"
press Tab Tab
typ "$other_name"
press Tab Return Return    # Planned
press Tab Tab Tab Tab Tab Tab Tab
paste "$long_note"
press Tab Tab space Tab Tab space
shot 07-case-3-note-cut
press ctrl+s
wait_title "Home visit"
shot 08-case-3-saved

# ---- 3. the quick idea: focus, Escape ----
step "Ctrl+Shift+N puts the cursor in the idea; Escape closes it and keeps it"
press ctrl+shift+n
wait_title "New idea"
typ "Texting families the day before"
shot 09-idea-typed
press Escape
wait_title "Home visit"
shot 10-idea-put-aside

# ---- 4. lock, a wrong passphrase, unlock, restart ----
step "lock, a wrong passphrase, then the right one typed straight after"
press ctrl+l
wait_title "Unlock"
typ "not my passphrase"
press Return
sleep 3
[[ "$(title)" == "Outpost - Unlock" ]] || fail "a wrong passphrase opened \"$(title)\""
shot 11-wrong-passphrase
typ "$pass_sian"           # no click: the field kept the keyboard
press Return
wait_title "Home visit" 60
stop_client

step "after a restart: exactly three cases, and only the idea put aside waits"
out=$(status sian-llyr "$pass_sian") || fail "status: $out"
echo "$out"
grep -qx "Cases: 3 (Home visit 2, Premises inspection 1)" <<<"$out" || fail "not three cases: $out"
grep -qx "Unsaved forms: 1" <<<"$out" || fail "saved forms left drafts: $out"
grep -qxF "Home visit	$welsh_name" <<<"$out" || fail "the Welsh name is not exact"
grep -qxF "Premises inspection	$polish_name" <<<"$out" || fail "the Polish name is not exact"
grep -qxF "Home visit	$other_name" <<<"$out" || fail "the Arabic, Chinese and emoji name is not exact"
start_client
wait_title "Unlock"
typ "$pass_sian"
press Return
wait_title "Cases" 60
sleep 1
shot 12-after-restart

# ---- 5. a second profile, and back and forth ----
step "a second profile from the lock screen, then switching both ways"
press ctrl+l
wait_title "Unlock"
press Tab Tab Return       # Unlock, then "Someone else"
wait_title "Profiles"
shot 13-profiles-one
press Tab Tab Return       # past Siân's row to "Create a new profile"
wait_title "Create a profile"
typ "Lee Jones"
press Tab
typ "$pass_lee"
press Tab
typ "$pass_lee"
press Return
wait_title "Enrol"
shot 14-second-enrol-empty
typ "$HOME/lee.outpost"
press Return
wait_title "Recovery code" 60
press Tab Tab Return       # Skip the recovery code
wait_title "Cases" 60
shot 15-lee-cases
press ctrl+l
wait_title "Unlock"
press Tab Tab Return
wait_title "Profiles"
shot 16-profiles-two
press Tab Tab Return       # Lee Jones, then Siân Llŷr (in name order)
wait_title "Unlock"
typ "$pass_sian"
press Return
wait_title "Cases" 60
shot 17-back-to-sian
press ctrl+l
wait_title "Unlock"
press Tab Tab Return
wait_title "Profiles"
press Tab Return           # Lee Jones
wait_title "Unlock"
typ "$pass_lee"
press Return
wait_title "Cases" 60
shot 18-back-to-lee
stop_client

# ---- what reached the server ----
step "a headless sync; the server holds every name exactly and the note cut at 4,000"
OUTPOST_PASSPHRASE=$pass_sian "$client" sync --headless --profile sian-llyr --data-dir "$laptop" >sync.log 2>&1 ||
  fail "headless sync: $(cat sync.log)"
"$server_bin" export --team north --what cases --format json --data srv --out cases.json
for name in "$welsh_name" "$polish_name" "$other_name" "$welsh_note"; do
  grep -qF "$name" cases.json || fail "the server does not hold \"$name\" exactly"
done
grep -qF "\"${long_note:0:4000}\"" cases.json || fail "the pasted note is not its first 4,000 characters"
for f in "$shots"/*.png; do
  [[ $(head -c 8 "$f" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "$f is not a PNG"
done
step "passed ($(ls "$shots" | wc -l) screenshots in $shots)"
