# Run at every build (cmake -P) by the outpost_version target: writes version_info.h with the
# current git hash, touching the file only when its text changes, so a new commit refreshes
# `--version` and /v1/health without a reconfigure, and an unchanged one recompiles nothing.
# Inputs: SRC (version_info.h.in), DST, SOURCE_DIR, GIT, OUTPOST_VERSION_STRING.
set(OUTPOST_GIT_HASH "unknown")
if(GIT)
  execute_process(COMMAND ${GIT} rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE _hash OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0 AND _hash)
    set(OUTPOST_GIT_HASH "${_hash}")
  endif()
endif()
configure_file(${SRC} ${DST} @ONLY)
