# The client's dependencies for the Windows cross build, as imported targets with the same names the
# Linux build gets from Debian's packages (cmake/OutpostDependencies.cmake), so no CMakeLists below
# this one knows which build it is in. Everything comes from the prefix scripts/windows-deps builds
# from Debian's source packages (OUTPOST_WIN_PREFIX, set by the toolchain file), plus zlib from
# Debian's libz-mingw-w64-dev. Libraries are linked statically: outpost.exe needs no DLL of ours.
if(NOT OUTPOST_WIN_PREFIX OR NOT EXISTS "${OUTPOST_WIN_PREFIX}/.complete")
  message(FATAL_ERROR "The Windows build needs the libraries scripts/windows-deps builds; set OUTPOST_WIN_PREFIX "
                      "to the prefix it prints (scripts/setup runs it). Got: '${OUTPOST_WIN_PREFIX}'")
endif()
set(_p "${OUTPOST_WIN_PREFIX}")
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

function(_outpost_win_lib target file)
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${_p}/lib/${file}"
    INTERFACE_INCLUDE_DIRECTORIES "${_p}/include")
endfunction()

_outpost_win_lib(SQLite::SQLite3 libsqlite3.a)
_outpost_win_lib(PkgConfig::SODIUM libsodium.a)
set_property(TARGET PkgConfig::SODIUM APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS SODIUM_STATIC=1)
set_property(TARGET PkgConfig::SODIUM APPEND PROPERTY INTERFACE_LINK_LIBRARIES advapi32)
_outpost_win_lib(OpenSSL::Crypto libcrypto.a)
set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 crypt32 advapi32 user32)
_outpost_win_lib(OpenSSL::SSL libssl.a)
set_property(TARGET OpenSSL::SSL APPEND PROPERTY INTERFACE_LINK_LIBRARIES OpenSSL::Crypto)
_outpost_win_lib(glfw libglfw3.a)
set_property(TARGET glfw APPEND PROPERTY INTERFACE_LINK_LIBRARIES gdi32 user32 shell32)
add_library(OpenGL::GL INTERFACE IMPORTED GLOBAL)
set_property(TARGET OpenGL::GL PROPERTY INTERFACE_LINK_LIBRARIES opengl32)

add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED GLOBAL)
set_property(TARGET nlohmann_json::nlohmann_json PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${_p}/include")
add_library(doctest::doctest INTERFACE IMPORTED GLOBAL)
set_property(TARGET doctest::doctest PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${_p}/include")

# cpp-httplib's whole header (Debian ships it split into a shared library), with TLS from OpenSSL and
# zlib, as Debian's build has; Winsock for the sockets.
# (scripts/windows-deps keeps it under src/, with its one fix for mingw.)
add_library(PkgConfig::HTTPLIB INTERFACE IMPORTED GLOBAL)
set_target_properties(PkgConfig::HTTPLIB PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_p}/src/cpp-httplib;${_p}/include"
  INTERFACE_COMPILE_DEFINITIONS "CPPHTTPLIB_OPENSSL_SUPPORT;CPPHTTPLIB_ZLIB_SUPPORT"
  INTERFACE_LINK_LIBRARIES "OpenSSL::SSL;z;ws2_32;crypt32")

# Dear ImGui with its GLFW and OpenGL 3 back ends, and stb's image reader and writer (Debian's
# libimgui-dev and libstb-dev ship these built; here they are compiled from the same sources).
set(_imgui "${_p}/src/imgui")
set(_stb_impl "${CMAKE_BINARY_DIR}/generated/stb_impl.c")
file(WRITE "${_stb_impl}.in" "#define STB_IMAGE_IMPLEMENTATION\n#define STB_IMAGE_WRITE_IMPLEMENTATION\n"
  "#include <stb_image.h>\n#include <stb_image_write.h>\n")
configure_file("${_stb_impl}.in" "${_stb_impl}" COPYONLY)
add_library(outpost_win_imgui STATIC
  ${_imgui}/imgui.cpp ${_imgui}/imgui_draw.cpp ${_imgui}/imgui_tables.cpp ${_imgui}/imgui_widgets.cpp
  ${_imgui}/imgui_demo.cpp ${_imgui}/imgui_stdlib.cpp
  ${_imgui}/backends/imgui_impl_glfw.cpp ${_imgui}/backends/imgui_impl_opengl3.cpp ${_stb_impl})
target_include_directories(outpost_win_imgui SYSTEM PUBLIC ${_imgui} "${_p}/include" "${_p}/include/stb")
# File names given to stb are UTF-8, as everywhere in Outpost.
target_compile_definitions(outpost_win_imgui PUBLIC STBIW_WINDOWS_UTF8 STBI_WINDOWS_UTF8)
target_link_libraries(outpost_win_imgui PRIVATE glfw OpenGL::GL)
add_library(PkgConfig::IMGUI ALIAS outpost_win_imgui)

# One executable with no DLLs beside it: the C and C++ runtimes and winpthreads linked in.
add_link_options(-static -static-libgcc -static-libstdc++)
# Unicode Windows APIs (the W functions) wherever a header picks one.
add_compile_definitions(UNICODE _UNICODE WIN32_LEAN_AND_MEAN NOMINMAX _WIN32_WINNT=0x0A00)
