# switchboard_add_llamaparse_plugin(<target> OUTPUT_NAME <file> SOURCES <class sources>... [LIBS <lib>...])
#
# Builds <file>.so from the folder's plugin.cpp plus the class sources, which are also the
# OBJECT library <target>_core that tests link to use the class directly (compiled exactly like
# the plugin: same visibility and options). Modelled on mock_common/mock_plugin.cmake, without
# the mocks' shared code. Include the class headers as "<folder>/<file>.hpp".
function(switchboard_add_llamaparse_plugin target)
  cmake_parse_arguments(ARG "" "OUTPUT_NAME" "SOURCES;LIBS" ${ARGN})
  switchboard_add_plugin(${target}
    SOURCES plugin.cpp
    OUTPUT_DIRECTORY ${SWITCHBOARD_PLUGIN_OUTPUT_DIR})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME} VISIBILITY_INLINES_HIDDEN ON)

  add_library(${target}_core OBJECT ${ARG_SOURCES})
  get_filename_component(plugins_dir ${CMAKE_CURRENT_SOURCE_DIR} DIRECTORY)
  target_include_directories(${target}_core PUBLIC ${plugins_dir})
  target_link_libraries(${target}_core PUBLIC switchboard_sdk ${ARG_LIBS})
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
