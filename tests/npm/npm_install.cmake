# cmake -DNODE=... -DNPM=... -DSOURCE_DIR=tests/npm -DINSTALL_DIR=<build>/npm -P npm_install.cmake
# Installs the pinned npm clients into INSTALL_DIR with `npm ci`, or fails saying what is missing.
set(how_to "install Node.js 20 or newer with npm (on Debian 12: scripts/install-deps.sh, or the NodeSource node_20.x repository), then re-run cmake so it finds them")
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "npm client tests: `node` was not found on PATH when cmake ran; ${how_to}")
endif()
if(NOT NPM OR NOT EXISTS "${NPM}")
  message(FATAL_ERROR "npm client tests: `npm` was not found on PATH when cmake ran; ${how_to}")
endif()

execute_process(COMMAND "${NODE}" --version OUTPUT_VARIABLE node_version OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE status)
string(REGEX MATCH "^v([0-9]+)" _ "${node_version}")
if(NOT status EQUAL 0 OR CMAKE_MATCH_1 LESS 20)
  message(FATAL_ERROR "npm client tests: ${NODE} is Node.js '${node_version}', the clients need 20 or newer; ${how_to}")
endif()

file(MAKE_DIRECTORY "${INSTALL_DIR}")
file(COPY "${SOURCE_DIR}/package.json" "${SOURCE_DIR}/package-lock.json" DESTINATION "${INSTALL_DIR}")
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --prefer-offline
                WORKING_DIRECTORY "${INSTALL_DIR}"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "npm client tests: `npm ci` in ${INSTALL_DIR} failed (exit ${status}); see its output above. "
                      "It needs the npm registry (or a warm npm cache) and the lock file tests/npm/package-lock.json")
endif()
message(STATUS "npm client tests: clients installed in ${INSTALL_DIR}/node_modules with Node.js ${node_version}")
