# cmake -DCONSUMER=find_package|add_subdirectory -D... -P run.cmake (from CMakeLists.txt):
# configures, builds and runs one consumer project; fails on the first step that fails.
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

set(configure_args -G ${CONSUMER_GENERATOR} -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER})
if(CONSUMER STREQUAL "find_package")
  # A fresh prefix and build each time, so a missing install rule cannot hide.
  set(prefix ${work}/prefix)
  file(REMOVE_RECURSE ${prefix} ${build})
  set(install_args)
  if(CONSUMER_CONFIG)
    set(install_args --config ${CONSUMER_CONFIG})
  endif()
  step(${CMAKE_COMMAND} --install ${MOB_BINARY_DIR} --prefix ${prefix} ${install_args})
  if(MOB_SANITIZER)
    # The installed libraries need the sanitizer runtime.
    list(APPEND configure_args -DCMAKE_CXX_FLAGS=-fsanitize=${MOB_SANITIZER}
         -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${MOB_SANITIZER})
  endif()
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
elseif(CONSUMER STREQUAL "add_subdirectory")
  # The build tree is kept between runs: mob's sources compile again only when changed.
  list(APPEND configure_args -DMOB_SOURCE_DIR=${MOB_SOURCE_DIR}
       -DMOB_SANITIZER=${MOB_SANITIZER} -DCMAKE_BUILD_TYPE=Debug)
else()
  message(FATAL_ERROR "run.cmake: unknown CONSUMER '${CONSUMER}'")
endif()

step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR}/${CONSUMER} -B ${build} ${configure_args})
if(CONSUMER STREQUAL "find_package")
  # It must have found the mob just installed, not another one.
  file(STRINGS ${build}/CMakeCache.txt mob_dir REGEX "^mob_DIR:")
  string(FIND "${mob_dir}" "${prefix}/" at)
  if(NOT at GREATER -1)
    message(FATAL_ERROR "consumer.find_package: found another mob (${mob_dir}), not ${prefix}")
  endif()
endif()
step(${CMAKE_COMMAND} --build ${build} --target mob-consumer --parallel ${jobs})
step(${build}/mob-consumer)
