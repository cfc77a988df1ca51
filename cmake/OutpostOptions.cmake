# Compiler warnings and sanitizers, applied per target through outpost_target_defaults().

function(outpost_target_defaults target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
      -Wcast-align -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations
      # Designated initialisers with member defaults are the house style; GCC 12 warns on them.
      -Wno-missing-field-initializers)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12's -Wrestrict and -Wstringop-overread misfire inside libstdc++'s std::string and
      # std::equal at -O2 (GCC bugs 105329, 105651): the Release trees (package, windows) stopped on
      # them; the Debug trees (-O0) never see them.
      target_compile_options(${target} PRIVATE -Wno-restrict -Wno-stringop-overread)
    endif()
    if(OUTPOST_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

if(OUTPOST_SANITIZE)
  list(JOIN OUTPOST_SANITIZE "," _outpost_san)
  add_compile_options(-fsanitize=${_outpost_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_outpost_san})
endif()
