# Install rules and CPack: DEB and TGZ packages `outpost` (the field client) and `outpost-server`
# (the central service), built by scripts/package. Components: client, server.
#
# Layout (prefix /usr in the DEB; anywhere for the TGZ, which is relocatable):
#   bin/outpost, bin/outpost-server
#   share/outpost/{forms,fonts}, share/outpost-server/forms   found by core/assets.h at run time
#   share/applications/outpost.desktop, share/icons/hicolor/*/apps/outpost.{png,svg}
#   share/man/man1/outpost.1.gz, share/man/man8/outpost-server.8.gz
#   lib/systemd/system/outpost-server.service, /etc/outpost/server.json (a conffile)
include(GNUInstallDirs)

set(_assets ${PROJECT_SOURCE_DIR}/assets)

# Man pages, compressed as Debian policy wants them (gzip -n: no timestamp, reproducible).
find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(_man_out ${CMAKE_BINARY_DIR}/man)
foreach(_page outpost.1 outpost-server.8)
  add_custom_command(OUTPUT ${_man_out}/${_page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_man_out}
    COMMAND ${GZIP_EXECUTABLE} -9nc ${PROJECT_SOURCE_DIR}/docs/man/${_page} > ${_man_out}/${_page}.gz
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${_page} VERBATIM)
endforeach()
add_custom_target(outpost_man_pages ALL DEPENDS ${_man_out}/outpost.1.gz ${_man_out}/outpost-server.8.gz)

# --- client -------------------------------------------------------------------------------------
install(DIRECTORY ${_assets}/forms/ DESTINATION ${CMAKE_INSTALL_DATADIR}/outpost/forms COMPONENT client
  FILES_MATCHING PATTERN "*.json")
install(DIRECTORY ${_assets}/fonts/ DESTINATION ${CMAKE_INSTALL_DATADIR}/outpost/fonts COMPONENT client)
install(FILES ${_assets}/packaging/outpost.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications
  COMPONENT client)
install(FILES ${_assets}/icons/outpost.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
  COMPONENT client)
foreach(_size 16 32 48 64 128 256)
  install(FILES ${_assets}/icons/hicolor/${_size}x${_size}/apps/outpost.png
    DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${_size}x${_size}/apps COMPONENT client)
endforeach()
install(FILES ${_man_out}/outpost.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT client)
install(FILES ${PROJECT_SOURCE_DIR}/docs/examples/client.json ${PROJECT_SOURCE_DIR}/docs/examples/check-build.txt
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/outpost/examples COMPONENT client)

# --- server -------------------------------------------------------------------------------------
install(DIRECTORY ${_assets}/forms/ DESTINATION ${CMAKE_INSTALL_DATADIR}/outpost-server/forms COMPONENT server
  FILES_MATCHING PATTERN "*.json")
install(FILES ${_man_out}/outpost-server.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT server)
install(FILES ${_assets}/packaging/outpost-server.service DESTINATION lib/systemd/system COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/docs/examples/server-tls.json ${_assets}/packaging/server.json
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/outpost-server/examples COMPONENT server)
# Its own component, packed only into the DEB (cmake/OutpostCPackPerGenerator.cmake): the archive
# generator would install an absolute destination into the packaging machine's own /etc.
install(FILES ${_assets}/packaging/server.json DESTINATION /etc/outpost COMPONENT server_conf)

# --- CPack --------------------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME "outpost")
set(CPACK_PACKAGE_VENDOR "Outpost")
set(CPACK_PACKAGE_CONTACT "Outpost maintainers <outpost@example.org>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://example.org/outpost")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Offline-first field app for frontline public-service workers")
set(CPACK_COMPONENTS_ALL client server server_conf)
# One package per group: the server's config file travels in the outpost-server DEB.
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_COMPONENT_CLIENT_GROUP client)
set(CPACK_COMPONENT_SERVER_GROUP server)
set(CPACK_COMPONENT_SERVER_CONF_GROUP server)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/OutpostCPackPerGenerator.cmake)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
# The absolute destination /etc/outpost is in the DEB only; the TGZ has the same file as
# share/doc/outpost-server/examples/server.json.
set(CPACK_SET_DESTDIR OFF)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION "misc")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME "outpost")
set(CPACK_DEBIAN_CLIENT_PACKAGE_SECTION "misc")
# The GL driver is dlopen()ed by libGL at run time, so dpkg-shlibdeps cannot see it.
set(CPACK_DEBIAN_CLIENT_PACKAGE_DEPENDS "libgl1-mesa-dri")
set(CPACK_COMPONENT_CLIENT_DESCRIPTION
  "Outpost field client\n Workers record cases and improvement suggestions offline, in an encrypted\n local database, and sync with the Outpost central service when a connection\n appears. Honours the site policy in /etc/outpost/client.json.")
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME "outpost-server")
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
# pg_dump and pg_restore, for backups and `restore --db` on PostgreSQL (not needed on SQLite).
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "postgresql-client")
set(CPACK_COMPONENT_SERVER_DESCRIPTION
  "Outpost central service\n Syncs Outpost laptops: enrolment, provisioning, the sync API, backups.\n Runs as the system user outpost under systemd, with data in /var/lib/outpost.")
set(_control ${CMAKE_BINARY_DIR}/deb-control/server)
file(MAKE_DIRECTORY ${_control})
file(WRITE ${_control}/conffiles "/etc/outpost/server.json\n")
foreach(_script postinst prerm postrm)
  file(COPY ${_assets}/packaging/server/${_script} DESTINATION ${_control}
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  "${_control}/conffiles;${_control}/postinst;${_control}/prerm;${_control}/postrm")

set(CPACK_ARCHIVE_COMPONENT_INSTALL ON)
set(CPACK_ARCHIVE_CLIENT_FILE_NAME "outpost-${PROJECT_VERSION}-linux-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_ARCHIVE_SERVER_FILE_NAME "outpost-server-${PROJECT_VERSION}-linux-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_GENERATOR "DEB;TGZ")
include(CPack)
