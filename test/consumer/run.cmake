# cmake -DCONSUMER=find_package|add_subdirectory|pkg_config|static -D... -P run.cmake (from
# CMakeLists.txt): configures, builds and runs one consumer project; fails on the first
# step that fails.
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS CONSUMER CONSUMER_SOURCE_DIR CONSUMER_WORK_DIR MOB_SOURCE_DIR
                     MOB_BINARY_DIR CONSUMER_GENERATOR CONSUMER_CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: ${var} is not set")
  endif()
endforeach()

cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
set(work ${CONSUMER_WORK_DIR}/${CONSUMER})
set(build ${work}/build)

function(step)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "consumer.${CONSUMER}: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer.${CONSUMER}: failed (${rc}): ${shown}")
  endif()
endfunction()

# Installs the mob built in `mob_build` into a fresh prefix, so a missing install rule
# cannot hide behind an earlier run.
function(install_mob mob_build)
  file(REMOVE_RECURSE ${prefix})
  set(install_args)
  if(CONSUMER_CONFIG)
    set(install_args --config ${CONSUMER_CONFIG})
  endif()
  step(${CMAKE_COMMAND} --install ${mob_build} --prefix ${prefix} ${install_args})
endfunction()

# Fails if `file` needs one of mob's shared libraries (a static build must not).
function(expect_no_mob_needed file)
  execute_process(COMMAND readelf -d ${file} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer.${CONSUMER}: readelf -d ${file} failed")
  endif()
  if(dynamic MATCHES "NEEDED[^\n]*libmob-")
    message(FATAL_ERROR "consumer.${CONSUMER}: ${file} needs a shared libmob:\n${dynamic}")
  endif()
endfunction()

set(prefix ${work}/prefix)
set(configure_args -G ${CONSUMER_GENERATOR} -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER})
# The static and add_subdirectory consumers compile mob anew; a unity build does that in
# less than half the time (56 s against 127 s on two cores), which keeps CI in its
# budget, and holds mob's sources to building as one, as an embedder's unity build would.
set(mob_compile_args -DCMAKE_UNITY_BUILD=ON)
if(CONSUMER STREQUAL "pkg_config")
  install_mob(${MOB_BINARY_DIR})
  step(sh ${CONSUMER_SOURCE_DIR}/pkg_config/build.sh ${prefix} ${work} ${MOB_VERSION})
  return()
elseif(CONSUMER STREQUAL "static")
  # mob built again with -DBUILD_SHARED_LIBS=OFF and installed; then the find_package
  # project and the pkg-config line against that prefix. The mob build tree is kept
  # between runs, so mob compiles again only when its sources changed.
  set(mob_build ${work}/mob-build)
  step(${CMAKE_COMMAND} -S ${MOB_SOURCE_DIR} -B ${mob_build} ${configure_args}
       -DCMAKE_BUILD_TYPE=Debug -DBUILD_SHARED_LIBS=OFF -DMOB_BUILD_TESTS=OFF
       -DMOB_BUILD_EXAMPLES=OFF -DMOB_BUILD_BENCH=OFF -DMOB_SANITIZER=${MOB_SANITIZER}
       ${mob_compile_args})
  step(${CMAKE_COMMAND} --build ${mob_build} --parallel ${jobs})
  set(CONSUMER_CONFIG Debug)
  install_mob(${mob_build})
  file(GLOB shared_libs ${prefix}/lib/libmob-*.so*)
  if(shared_libs)
    message(FATAL_ERROR "consumer.static: a static build installed ${shared_libs}")
  endif()
  foreach(program IN ITEMS mobctl mob-broker)
    expect_no_mob_needed(${prefix}/bin/${program})
    step(${prefix}/bin/${program} --version)
  endforeach()
  file(REMOVE_RECURSE ${build})
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
  set(project find_package)
elseif(CONSUMER STREQUAL "find_package")
  file(REMOVE_RECURSE ${build})
  install_mob(${MOB_BINARY_DIR})
  if(MOB_SANITIZER)
    # The installed libraries need the sanitizer runtime.
    list(APPEND configure_args -DCMAKE_CXX_FLAGS=-fsanitize=${MOB_SANITIZER}
         -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${MOB_SANITIZER})
  endif()
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
  set(project find_package)
elseif(CONSUMER STREQUAL "add_subdirectory")
  # The build tree is kept between runs: mob's sources compile again only when changed.
  list(APPEND configure_args -DMOB_SOURCE_DIR=${MOB_SOURCE_DIR}
       -DMOB_SANITIZER=${MOB_SANITIZER} -DCMAKE_BUILD_TYPE=Debug ${mob_compile_args})
  set(project add_subdirectory)
else()
  message(FATAL_ERROR "run.cmake: unknown CONSUMER '${CONSUMER}'")
endif()

step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR}/${project} -B ${build} ${configure_args})
if(project STREQUAL "find_package")
  # It must have found the mob just installed, not another one.
  file(STRINGS ${build}/CMakeCache.txt mob_dir REGEX "^mob_DIR:")
  string(FIND "${mob_dir}" "${prefix}/" at)
  if(NOT at GREATER -1)
    message(FATAL_ERROR "consumer.find_package: found another mob (${mob_dir}), not ${prefix}")
  endif()
endif()
step(${CMAKE_COMMAND} --build ${build} --target mob-consumer --parallel ${jobs})
step(${build}/mob-consumer)
if(CONSUMER STREQUAL "static")
  expect_no_mob_needed(${build}/mob-consumer)
  step(sh ${CONSUMER_SOURCE_DIR}/pkg_config/build.sh ${prefix} ${work} ${MOB_VERSION})
  expect_no_mob_needed(${work}/app)
endif()
