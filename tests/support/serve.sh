#!/usr/bin/env bash
# Sourced by the end-to-end scripts: start `outpost-server serve` on a port the kernel picks, so two
# tests (or any other program) can never race for one. A fixed random port once failed CI with
# server.listen.failed when something else held it.
#   start_server SERVER_BIN LOG ARGS...   (ARGS follow "serve"; --listen 127.0.0.1:0 is added)
# Sets server_pid and port; fails, printing the log, if the server is not listening within 10 s.
start_server() {
  local bin=$1 log=$2; shift 2
  : >"$log"  # never read an earlier run's port
  "$bin" serve "$@" --listen 127.0.0.1:0 >"$log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.* listening on https\{0,1\}:\/\/127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$log" 2>/dev/null | head -1)
    [[ -n "$port" ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "start_server: the server did not start listening" >&2
  cat "$log" >&2
  kill "$server_pid" 2>/dev/null || true
  return 1
}
