# A real window under Xvfb: `outpost --frames N --screenshot PNG` renders the first-run screen and saves
# it. The PNG must exist and be a PNG of the window's size.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(
  COMMAND "${XVFB_RUN}" -a -s "-screen 0 1280x800x24" "${CLIENT}" --data-dir "${WORK}/laptop"
          --frames 10 --screenshot "${WORK}/first-run.png"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 90)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "client failed (${rc}):\n${out}\n${err}")
endif()
file(READ "${WORK}/first-run.png" head LIMIT 24 HEX)
if(NOT head MATCHES "^89504e470d0a1a0a")
  message(FATAL_ERROR "screenshot is not a PNG")
endif()
# IHDR width/height at bytes 16..23: 1280 x 800.
string(SUBSTRING "${head}" 32 16 dims)
if(NOT dims STREQUAL "0000050000000320")
  message(FATAL_ERROR "screenshot has unexpected dimensions (hex ${dims})")
endif()
message(STATUS "window smoke ok: ${WORK}/first-run.png")
