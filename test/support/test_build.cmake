# How the test programs are compiled, for a quicker build (CI builds them three times:
# plain, ASan, TSan, on two cores):
# - one precompiled header for all of them: the third-party and standard headers nearly
#   every test includes (gtest, cppzmq, fmt, cereal), about half of a small test's
#   compile time. Only headers from outside mob, so a change to mob's own headers never
#   rebuilds it; a test still includes what it uses (the list is injected, not relied on).
# - line tables only (-g1) where the build type asks for full debug information: a
#   failing test's backtrace keeps file:line, and its objects take a third less time.
# - -O1, not the build type's -O2 or -O3, where it optimises: a test program's speed is
#   its processes' waits, not its code, and -O1 compiles a test in two thirds of the
#   time (rpc_test.cpp: 13 s, not 19). mob's libraries keep the build type's level, so
#   the code under test is the code users run; the sanitizer builds set their own.
set(mob_test_compile_options $<$<CONFIG:RelWithDebInfo,Debug>:-g1>
                              $<$<CONFIG:RelWithDebInfo,Release,MinSizeRel>:-O1>)
option(MOB_TEST_PCH "Build mob's tests with a precompiled header" ON)

set(mob_test_pch_headers
    <gtest/gtest.h> <zmq.hpp> <zmq_addon.hpp> <fmt/format.h>
    <cereal/archives/portable_binary.hpp> <cereal/types/string.hpp>
    <cereal/types/vector.hpp> <cereal/types/map.hpp> <cereal/types/tuple.hpp>
    <algorithm> <atomic> <chrono> <filesystem> <fstream> <functional> <map> <memory>
    <mutex> <optional> <set> <sstream> <string> <string_view> <thread> <tuple> <vector>)
# What the owner of the PCH links, and so each user of it: GCC refuses a PCH built with
# other macros (FMT_SHARED, GTEST_HAS_PTHREAD), and CMake makes that an error.
set(mob_test_pch_libs GTest::gtest cppzmq fmt::fmt cereal::cereal)

if(MOB_TEST_PCH)
  add_library(mob_test_pch OBJECT ${CMAKE_CURRENT_LIST_DIR}/pch_anchor.cpp)
  target_link_libraries(mob_test_pch PRIVATE ${mob_test_pch_libs})
  mob_target_warnings(mob_test_pch)
  target_precompile_headers(mob_test_pch PRIVATE ${mob_test_pch_headers})
  target_compile_options(mob_test_pch PRIVATE ${mob_test_compile_options})
endif()

# mob_test_build_flags(TARGET): TARGET, a test program or a program a test runs, is
# compiled as above. (The PCH's owner gets the same options, or GCC would refuse it.)
function(mob_test_build_flags target)
  target_compile_options(${target} PRIVATE ${mob_test_compile_options})
  if(MOB_TEST_PCH)
    target_link_libraries(${target} PRIVATE ${mob_test_pch_libs})
    target_precompile_headers(${target} REUSE_FROM mob_test_pch)
  endif()
endfunction()
