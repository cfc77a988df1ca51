# outpost_add_test_file: one test file becomes one executable and one CTest test. Used by the Linux
# suite (tests/CMakeLists.txt) and the Windows suite (tests/windows/CMakeLists.txt), which name the
# same files.
set(OUTPOST_TESTS_DIR ${PROJECT_SOURCE_DIR}/tests)

# outpost_add_test_file(<path> LIBS <libs...>): tests/unit/<module>/<unit>_test.cpp (one module on
# its own, with fakes at its seams) or tests/integration/<module>/<unit>_test.cpp (the client and the
# server together over real HTTP, or more than one process) becomes the executable
# test_<module>_<unit> and the CTest test <module>/<unit>.
function(outpost_add_test_file file)
  cmake_parse_arguments(T "" "" "LIBS;LABELS" ${ARGN})
  get_filename_component(unit ${file} NAME_WE)
  string(REGEX REPLACE "_test$" "" unit ${unit})
  get_filename_component(dir ${file} DIRECTORY)
  get_filename_component(module ${dir} NAME)
  set(target test_${module}_${unit})
  add_executable(${target} ${OUTPOST_TESTS_DIR}/${file} $<TARGET_OBJECTS:outpost_doctest_main>)
  target_link_libraries(${target} PRIVATE doctest::doctest outpost::platform_os ${T_LIBS})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  outpost_target_defaults(${target})
  add_test(NAME ${module}/${unit} COMMAND ${target})
  if(T_LABELS)
    set_tests_properties(${module}/${unit} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

