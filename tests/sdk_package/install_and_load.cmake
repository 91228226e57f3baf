# The installed-SDK test: install the SDK into a fresh prefix, build examples/hello_plugin out of
# tree against it, drop hello.so into a fresh plugin folder and have the host load and call it:
# first the plugin test driver (exact log lines and vectors, on a manual clock), then the real
# `switchboard` binary, configured by a TOML file like a user would write.
#
#   cmake -DBINARY_DIR=<build> -DSOURCE_DIR=<source> -DWORK_DIR=<scratch> -DDRIVER=<plugin_host_driver>
#         -DHOST=<switchboard> -DGENERATOR=<generator> -DCXX_COMPILER=<compiler> -P install_and_load.cmake
foreach(var BINARY_DIR SOURCE_DIR WORK_DIR DRIVER HOST GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_and_load.cmake needs -D${var}=...")
  endif()
endforeach()

# Runs a command that must succeed; leaves its stdout in `output` and its stderr in `errors`.
function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${step} failed (${rc}):\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
  set(errors "${err}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/hello-build)
set(plugins ${WORK_DIR}/plugins)
set(config ${WORK_DIR}/config/switchboard.toml)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# Only the SDK's install rules: headers and the CMake package.
run("installing the SDK" ${CMAKE_COMMAND} --install ${BINARY_DIR}/sdk --prefix ${prefix})

run("configuring hello_plugin against the installed SDK"
  ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/hello_plugin -B ${build} -G ${GENERATOR}
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
  "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror")
run("building hello_plugin" ${CMAKE_COMMAND} --build ${build})

# The SDK's own headers, not the source tree's, built the plugin.
file(READ ${build}/compile_commands.json compile_commands)
string(FIND "${compile_commands}" "${SOURCE_DIR}/sdk" source_tree_sdk)
if(NOT source_tree_sdk EQUAL -1)
  message(FATAL_ERROR "hello_plugin was compiled against the source tree, not the installed SDK")
endif()

file(MAKE_DIRECTORY ${plugins})
file(COPY_FILE ${build}/hello.so ${plugins}/hello.so)
file(CHMOD ${plugins} ${plugins}/hello.so PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

run("loading and calling hello.so" ${DRIVER} ${plugins} hello latency_ms=250 dimensions=3)
message(STATUS "plugin_host_driver said:\n${output}")
foreach(expected
    "loaded: hello 0.1.0 \\(ABI 2.1, SDK 0.3.0\\)"
    "after the call: waiting, 1 timer\\(s\\) pending"
    "log: info backend 'driver-hello' serves model hello-counts-1 with 3 dimensions"
    "log: info \\[driver-1\\] embedded 2 text\\(s\\)"
    "embed: model=hello-counts-1 vectors=\\[\\[5,1,2\\],\\[12,2,3\\]\\] prompt_tokens=3")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "plugin_host_driver output lacks '${expected}'")
  endif()
endforeach()
if(output MATCHES "rejected")
  message(FATAL_ERROR "the host rejected a plugin")
endif()

# The real host, through its CLI, as a user would run it.
file(WRITE ${config} "[host]
plugin_dirs = [\"${plugins}\"]

[backends.hello-counts]
plugin = \"hello\"

[backends.hello-counts.settings]
dimensions = 3
latency_ms = 20

[services.counts]
capability = \"embeddings\"
mock = \"hello-counts\"
")

run("listing plugins with `switchboard plugins`" ${HOST} plugins --config ${config})
message(STATUS "switchboard plugins said:\n${output}")
string(REGEX MATCH "[^\n]*/hello\\.so +hello +[^\n]* loaded\n" hello_line "${output}")
if(hello_line STREQUAL "")
  message(FATAL_ERROR "`switchboard plugins` has no line for hello.so ending in 'loaded':\n${output}\n${errors}")
endif()

run("embedding through hello with `switchboard embed`" ${HOST} embed --config ${config} "some text")
message(STATUS "switchboard embed said:\n${output}${errors}")
# "some text": 9 characters, 2 words, 3 vowels.
foreach(expected "\"object\":\"list\"" "\"embedding\":\\[9,2,3\\]" "\"model\":\"hello-counts-1\"")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "`switchboard embed` output lacks '${expected}':\n${output}\n${errors}")
  endif()
endforeach()
if(NOT errors MATCHES "served by 'hello-counts'")
  message(FATAL_ERROR "`switchboard embed` did not say the hello backend served the call:\n${errors}")
endif()
