# switchboard_add_plugin(<name> SOURCES <src>... [OUTPUT_DIRECTORY <dir>])
#
# Builds <name>.so, a Switchboard backend plugin: a MODULE library with hidden visibility,
# linked against the SDK. Drop the file into a folder listed in host.plugin_dirs.
function(switchboard_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "switchboard_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  if(TARGET Switchboard::sdk)
    target_link_libraries(${name} PRIVATE Switchboard::sdk)
  else()
    target_link_libraries(${name} PRIVATE switchboard_sdk)
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON)
  # GCC emits some template statics as STB_GNU_UNIQUE (std::noop_coroutine's frame, which Task
  # uses), and glibc never unloads a library that defines one: the host could not drop a plugin.
  target_compile_options(${name} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
endfunction()
