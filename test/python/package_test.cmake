# The binding installs as a package (pyproject.toml) and works from where it went:
# a copy of bindings/python is installed with pip into a scratch directory (no network,
# no dependencies fetched), then imported from there, outside the source tree.
#   cmake -DPYTHON=... -DSOURCE=bindings/python -DSCRATCH=dir -P package_test.cmake
file(REMOVE_RECURSE ${SCRATCH})
file(COPY ${SOURCE}/ DESTINATION ${SCRATCH}/src PATTERN __pycache__ EXCLUDE PATTERN build EXCLUDE)
execute_process(
  COMMAND ${PYTHON} -m pip install --quiet --no-deps --no-build-isolation --no-index
          --target ${SCRATCH}/site ${SCRATCH}/src
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pip could not install ${SOURCE} (${rc})")
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${SCRATCH}/site PYTHONDONTWRITEBYTECODE=1
          ${PYTHON} -c "import mob, os; assert mob.__file__.startswith(os.environ['PYTHONPATH']), mob.__file__; print(mob.__version__, mob.encode('int', 42).hex())"
  WORKING_DIRECTORY ${SCRATCH}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "0.1.0 012a000000")
  message(FATAL_ERROR "the installed package does not work (${rc}): ${out}")
endif()
file(REMOVE_RECURSE ${SCRATCH})
