# The version, from project(VERSION) only: a generated header for the code
# (MOB_VERSION in mob/version.hpp), and the libraries' file names and SONAME.

set(MOB_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated/include)
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.hpp.in
               ${MOB_GENERATED_INCLUDE_DIR}/mob/version.hpp @ONLY)

# libmob-X.so.MAJOR -> libmob-X.so.MAJOR.MINOR.PATCH, SONAME libmob-X.so.MAJOR.
function(mob_versioned_library target)
  set_target_properties(${target} PROPERTIES
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
endfunction()
