#!/usr/bin/env bash
# Sourced by the scripts that drive the client in a real window under Xvfb with X keyboard events
# (tests/ui/real_input.sh, tests/ui/recovery_window.sh), once they have set `client` (the client
# binary), `xshot`, `shots` (the screenshot folder) and `laptop` (the client's data folder). Messages
# are named after the script. Gives:
#   step TEXT...; shot NAME (a screenshot, shots/NAME.png); fail TEXT... (a screenshot, the client
#   log's tail, exit 1);
#   start_display: an X display of our own (Xvfb), DISPLAY set once an X client can reach it, the
#     pointer parked in the top right corner, and an EXIT trap that stops the client, the server
#     ($server_pid, from serve.sh) and Xvfb, then calls on_cleanup if the script defines it;
#   press KEY... and typ TEXT (typ types ASCII; a script that types more defines its own after this);
#   click_at X Y (a click, the pointer parked again);
#   title; wait_title PATTERN [SECONDS] (until the title matches "Outpost - PATTERN");
#   start_client [ARGS...] (sets client_pid and win); stop_client (SIGTERM, as the close button).
xwindow_name=$(basename "$0" .sh)
client_pid=""

step() { echo "$xwindow_name: $*"; }
shot() { "$xshot" "$shots/$1.png"; }
fail() {
  echo "$xwindow_name: FAILED: $*" >&2
  shot 99-failed 2>/dev/null || true
  [[ -f client.log ]] && tail -20 client.log >&2
  exit 1
}

xwindow_cleanup() {
  [[ -n "$client_pid" ]] && kill "$client_pid" 2>/dev/null || true
  kill "${server_pid:-}" "$xvfb_pid" 2>/dev/null || true
  if declare -F on_cleanup >/dev/null; then on_cleanup; fi
}

start_display() {
  # -noreset: Xvfb otherwise resets when its last client leaves, and a reset forgets every key a
  # script bound with xmodmap before the client connected (real_input.sh bind_keys).
  Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp -noreset 5>display.txt 2>xvfb.log &
  xvfb_pid=$!
  for _ in $(seq 100); do [[ -s display.txt ]] && break; sleep 0.05; done
  [[ -s display.txt ]] || fail "Xvfb did not start"
  export DISPLAY=":$(head -1 display.txt)"
  # Xvfb names its display a moment before every client can connect under load: wait until one can.
  for _ in $(seq 100); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.05; done
  xdotool getdisplaygeometry >/dev/null 2>&1 || fail "no X client can reach $DISPLAY"
  client_pid=""
  trap xwindow_cleanup EXIT
  # With no window manager, keys go to the window under the pointer: it rests in the window's top
  # right corner, over nothing a click or a hover could change, and never moves.
  xdotool mousemove 1279 0
}

press() {
  xdotool key --delay 80 "$@"
  sleep 0.35
}
typ() {
  xdotool type --delay 20 -- "$1"
  sleep 0.35
}
# Clicks at window position X Y (the window fills the display), then parks the pointer again.
click_at() {
  xdotool mousemove "$1" "$2" sleep 0.2 click 1 sleep 0.2 mousemove 1279 0
  sleep 0.35
}
title() { xdotool getwindowname "$win" 2>/dev/null || true; }
# Waits until the window's title matches "Outpost - $1" (the client names its screen there), then a
# moment more, as a person looks at a new screen before pressing a key: the screen's first frames
# (the card taking the keyboard) are drawn before the next key arrives, however loaded the machine.
wait_title() {
  local deadline=$((SECONDS + ${2:-30}))
  while ((SECONDS < deadline)); do
    [[ "$(title)" == "Outpost - "$1 ]] && sleep 0.3 && return 0
    sleep 0.1
  done
  fail "the window shows \"$(title)\", not \"Outpost - $1\""
}
start_client() {
  "$client" --data-dir "$laptop" "$@" >>client.log 2>&1 &
  client_pid=$!
  win=$(timeout 30 xdotool search --sync --name '^Outpost' | head -1) || fail "no client window"
  sleep 0.5
}
# A logout: SIGTERM, which the client takes as its close button (drafts kept, store locked).
stop_client() {
  kill -TERM "$client_pid"
  wait "$client_pid" || fail "the client exited with status $? on SIGTERM"
  client_pid=""
}
