# pkg-config files for projects that do not use CMake:
#     g++ -std=c++20 app.cpp $(pkg-config --cflags --libs mob-broker mob-worker)
# They find their prefix from where they are installed (${pcfiledir}), so a tree installed
# with `cmake --install build --prefix DIR` and then moved still describes itself.
set(MOB_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH mob_prefix_from_pcdir
     ${CMAKE_INSTALL_PREFIX}/${MOB_PKGCONFIG_DIR} ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" mob_prefix_from_pcdir "${mob_prefix_from_pcdir}")
set(MOB_PC_PREFIX "\${pcfiledir}/${mob_prefix_from_pcdir}")
foreach(dir IN ITEMS LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(MOB_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(MOB_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()

# libsystemd is private to libmob-broker: Requires.private for the shared library; for a
# static one Requires, so the README's line (no --static) links it too.
if(MOB_LIBRARY_TYPE STREQUAL "STATIC")
  set(MOB_PC_BROKER_REQUIRES " libsystemd")
  set(MOB_PC_BROKER_REQUIRES_PRIVATE "")
else()
  set(MOB_PC_BROKER_REQUIRES "")
  set(MOB_PC_BROKER_REQUIRES_PRIVATE "Requires.private: libsystemd")
endif()

foreach(lib IN ITEMS mob-common mob-worker mob-broker)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/pkgconfig/${lib}.pc.in
                 ${PROJECT_BINARY_DIR}/pkgconfig/${lib}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${lib}.pc DESTINATION ${MOB_PKGCONFIG_DIR})
endforeach()
