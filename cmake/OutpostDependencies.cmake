# Every third-party dependency, found through find_package or pkg-config only (no paths, no downloads).
# Debian 12 packages: see scripts/setup. The same names resolve under a vcpkg toolchain.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 3.40 REQUIRED)                                   # SQLite::SQLite3
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)  # PkgConfig::SODIUM
find_package(nlohmann_json 3.11 REQUIRED)                             # nlohmann_json::nlohmann_json
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)       # PkgConfig::HTTPLIB (adds its own defines)
pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)               # PkgConfig::IMGUI (+ stb)
find_package(OpenSSL 3 REQUIRED)                                      # OpenSSL::SSL (the server's TLS reads, conn_guard)
find_package(PostgreSQL REQUIRED)                                    # PostgreSQL::PostgreSQL (libpq)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip>=1.7)        # PkgConfig::LIBZIP (the server's XLSForm import)
pkg_check_modules(EXPAT REQUIRED IMPORTED_TARGET expat>=2.4)          # PkgConfig::EXPAT (the XML inside an .xlsx)
find_package(glfw3 3.3 REQUIRED)                                      # glfw
set(OpenGL_GL_PREFERENCE GLVND)
find_package(OpenGL REQUIRED)                                         # OpenGL::GL
if(OUTPOST_BUILD_TESTS)
  find_package(doctest REQUIRED)                                      # doctest::doctest
  pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter) # PkgConfig::XLSXWRITER (test workbooks)
endif()
