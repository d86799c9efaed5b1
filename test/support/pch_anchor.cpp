// The source of mob_test_pch (test/support/test_build.cmake): the target exists to build the
// tests' precompiled header, and CMake wants one source to compile it with.
