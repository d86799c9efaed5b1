# Install rules and the package config, so other projects can use mob with
#     find_package(mob REQUIRED)
#     target_link_libraries(app PRIVATE mob::broker mob::worker)
# (or with add_subdirectory(mob), where the mob::* aliases give the same names).

# mob's public headers need C++20: say so to every consumer, installed or vendored.
target_compile_features(mob_common PUBLIC cxx_std_20)

# On by default only when mob is the top project, as fmt's FMT_INSTALL.
option(MOB_INSTALL "Generate mob's install rules" ${mob_is_top_project})

include(GNUInstallDirs)

# mob_install_program(target): installs a program into bin/ with a RUNPATH that finds
# mob's libraries from where they are installed ($ORIGIN/../lib), never from the build
# tree, so an installed tree can be copied anywhere (a container image, another prefix).
file(RELATIVE_PATH mob_libdir_from_bindir
     ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
function(mob_install_program target)
  if(NOT MOB_INSTALL)
    return()
  endif()
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${mob_libdir_from_bindir}")
  install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

if(NOT MOB_INSTALL)
  return()
endif()

include(CMakePackageConfigHelpers)

set(MOB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/mob"
    CACHE STRING "Where mob's CMake package config goes, relative to the prefix")

set_target_properties(mob_common PROPERTIES EXPORT_NAME common)
set_target_properties(mob_worker PROPERTIES EXPORT_NAME worker)
set_target_properties(mob_broker PROPERTIES EXPORT_NAME broker)
# The libraries find each other beside themselves once installed.
set_target_properties(mob_common mob_worker mob_broker PROPERTIES INSTALL_RPATH "$ORIGIN")

install(TARGETS mob_common mob_worker mob_broker
  EXPORT mobTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

foreach(part IN ITEMS common worker broker)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${part}/include/mob
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${MOB_GENERATED_INCLUDE_DIR}/mob/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mob)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

install(EXPORT mobTargets
  NAMESPACE mob::
  DESTINATION ${MOB_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/mobConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mobConfig.cmake
  INSTALL_DESTINATION ${MOB_INSTALL_CMAKEDIR})
# 0.x: a minor release may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mobConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mobConfig.cmake ${PROJECT_BINARY_DIR}/mobConfigVersion.cmake
  DESTINATION ${MOB_INSTALL_CMAKEDIR})

include(${CMAKE_CURRENT_LIST_DIR}/pkgconfig.cmake)
