# switchboard_add_mock_plugin(<target> OUTPUT_NAME <file> SOURCES <class sources>... [LIBS <lib>...])
#
# Builds <file>.so from the folder's plugin.cpp plus the class sources. The class sources are
# also the OBJECT library <target>_core, which tests link to use the class directly; they
# compile exactly like the plugin's own sources (visibility and every option the SDK helper sets).
function(switchboard_add_mock_plugin target)
  cmake_parse_arguments(ARG "" "OUTPUT_NAME" "SOURCES;LIBS" ${ARGN})
  switchboard_add_plugin(${target}
    SOURCES plugin.cpp
    OUTPUT_DIRECTORY ${SWITCHBOARD_PLUGIN_OUTPUT_DIR})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME} VISIBILITY_INLINES_HIDDEN ON)

  add_library(${target}_core OBJECT ${ARG_SOURCES})
  target_link_libraries(${target}_core PUBLIC switchboard_mock_common ${ARG_LIBS})
  get_target_property(visibility ${target} CXX_VISIBILITY_PRESET)
  get_target_property(options ${target} COMPILE_OPTIONS)
  set_target_properties(${target}_core PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET ${visibility}
    VISIBILITY_INLINES_HIDDEN ON)
  if(options)
    target_compile_options(${target}_core PRIVATE ${options})
  endif()

  target_link_libraries(${target} PRIVATE ${target}_core)
endfunction()
