# Read by cpack once per generator (CPACK_PROJECT_CONFIG_FILE). The archives leave out the
# server_conf component (/etc/outpost/server.json, an absolute destination): the archive generator
# installs absolute paths into the packaging machine's own /etc (regression: scripts/package wrote
# /etc/outpost/server.json on the build host).
if(CPACK_GENERATOR STREQUAL "TGZ")
  set(CPACK_COMPONENTS_ALL client server)
endif()
