# Cross-compiling Outpost's field client for Windows x64 on Debian with mingw-w64 (POSIX threads).
#
# The client's libraries come from the prefix scripts/windows-deps builds from Debian's source
# packages; its path is OUTPOST_WIN_PREFIX (a cache variable or the environment variable). Test
# programs run through Wine (CMAKE_CROSSCOMPILING_EMULATOR), each in the WINEPREFIX the tests set.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

# The environment wins when it is set (scripts/test-windows and scripts/package set it each time);
# otherwise the cache keeps the prefix of the last configure.
if(NOT "$ENV{OUTPOST_WIN_PREFIX}" STREQUAL "")
  set(OUTPOST_WIN_PREFIX "$ENV{OUTPOST_WIN_PREFIX}" CACHE PATH "Windows libraries built by scripts/windows-deps" FORCE)
endif()
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 ${OUTPOST_WIN_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(OUTPOST_WINE NAMES wine wine64)
if(OUTPOST_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${OUTPOST_WINE})
endif()
