# Real window under Xvfb against a real outpost-server on loopback: the client renders frames, checks
# the server, and saves a screenshot. The PNG must exist and be a PNG of the window's size.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND "${SERVER}" init --data "${WORK}/server" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "outpost-server init failed: ${rc}")
endif()
# Pick a port from the process id range to avoid clashes between parallel runs.
string(RANDOM LENGTH 4 ALPHABET 0123456789 r)
math(EXPR port "20000 + ${r} % 20000")
execute_process(COMMAND sh -c "'${SERVER}' serve --data '${WORK}/server' --listen 127.0.0.1:${port} > '${WORK}/server.log' 2>&1 & echo $!"
  OUTPUT_VARIABLE pid OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND sh -c "for i in $(seq 50); do grep -q listening '${WORK}/server.log' && exit 0; sleep 0.1; done; exit 1"
  RESULT_VARIABLE ready)
execute_process(
  COMMAND "${XVFB_RUN}" -a -s "-screen 0 1280x800x24" "${CLIENT}" --server http://127.0.0.1:${port}
          --frames 10 --screenshot "${WORK}/home.png"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 90)
execute_process(COMMAND kill ${pid})
if(NOT ready EQUAL 0)
  message(FATAL_ERROR "server did not start")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "client failed (${rc}):\n${out}\n${err}")
endif()
file(READ "${WORK}/home.png" head LIMIT 24 HEX)
if(NOT head MATCHES "^89504e470d0a1a0a")
  message(FATAL_ERROR "screenshot is not a PNG")
endif()
# IHDR width/height at bytes 16..23: 1280 x 800.
string(SUBSTRING "${head}" 32 16 dims)
if(NOT dims STREQUAL "0000050000000320")
  message(FATAL_ERROR "screenshot has unexpected dimensions (hex ${dims})")
endif()
file(READ "${WORK}/server.log" log)
if(NOT log MATCHES "\"path\":\"/v1/health\"")
  message(FATAL_ERROR "the client never reached the server:\n${log}")
endif()
message(STATUS "window smoke ok: ${WORK}/home.png")
