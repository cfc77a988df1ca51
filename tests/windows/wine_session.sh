#!/usr/bin/env bash
# The Windows suite's Wine session (a CTest fixture): `start` makes the prefix (WINEPREFIX, from the
# windows test preset) and leaves one persistent wineserver running, with Wine's own services, for
# every test to share; `stop` ends them. Started here, with their output sent nowhere, so that no
# test's output pipe is held open by a wineserver or a Wine service it happened to start (CTest would
# wait for that pipe to close, and a test would seem to hang until the last one ended).
set -euo pipefail
case "${1:-}" in
  start)
    : "${WINEPREFIX:?the windows test preset sets WINEPREFIX}"
    mkdir -p "$WINEPREFIX"
    # The server first, persistent (it would otherwise end 3 s after its last program); one left
    # running by an earlier run is ended so that this one starts with no pipe of anyone's.
    wineserver -k >/dev/null 2>&1 </dev/null || true
    wineserver -w >/dev/null 2>&1 </dev/null || true
    wineserver -p >/dev/null 2>&1 </dev/null
    wineboot --init >/dev/null 2>&1 </dev/null
    # A crash must end the program, not start Wine's debugger and wait for someone.
    wine reg delete 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Debugger /f \
      >/dev/null 2>&1 </dev/null || true
    # Wine's services (explorer, rpcss, ...) start with the first program; start them here.
    wine cmd /c exit 0 >/dev/null 2>&1 </dev/null
    echo "wine session ready in $WINEPREFIX"
    ;;
  stop)
    wineserver -k >/dev/null 2>&1 || true
    echo "wine session ended"
    ;;
  *) echo "usage: wine_session.sh start|stop" >&2; exit 2 ;;
esac
