# Developer entry points; CI runs .ci/run, which uses these.
#   make [build]     install missing Debian packages, configure build/ once, build
#   make demo        build, then run the hello example until Ctrl-C (HELLO_PORT=... to move it)
#   make test        build, then run the test suite (every test has a timeout), but the
#                    container tests
#   make test-containers  the container tests (podman: image, compose, kube play)
#   make sanitize    build and test under ASan+UBSan (build-asan/) and TSan (build-tsan/)
#   make fuzz        build the broker's libFuzzer target with clang (build-fuzz/) and run it
#                    for FUZZ_SECONDS (60) from test/fuzz/corpus; fuzz-keep adds what it
#                    found that reaches new code to that corpus (minimised)
#   make bench       bench/run.sh: install the baselines (node's mob, NATS), build build-bench/
#                    (Release) and run mob-rpc-bench against them; BENCH_ARGS=--quick for a short run
#   make plots       bench/plots.sh: the benchmarks with --data, drawn by gnuplot into
#                    docs/images/bench-*.svg (BENCH_ARGS=--quick for a short run)
#   make soak        the chaos test for CHAOS_SECONDS (20) instead of its short variant
#   make format      clang-format the sources in place; format-check only checks them
#   make clean       remove the build directories

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_JOBS ?= 2
# Default timeout (seconds) for a test that sets none of its own.
TEST_TIMEOUT ?= 300
CMAKE ?= cmake
CTEST ?= ctest
CLANG_FORMAT ?= clang-format
FORMAT_DIRS := common broker worker examples test bench tools
comma := ,

# The sanitizer builds: the tests and what they run, no benchmarks; the consumer tests
# (which only rebuild mob the way a user would) are left to `make test`.
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
# Line tables only (-g1): sanitizer reports keep file:line. The libraries at -O1, the
# tests, examples and tools at -O0, which compile in half the time: the builds stay
# quick enough for CI on two cores.
SAN_BUILD_TYPE ?= None
# GCC 12 instrumentation sets off false -Wmaybe-uninitialized (e.g. in <regex>) under -Werror.
SAN_CMAKE_ARGS ?= -DMOB_BUILD_TESTS=ON -DMOB_BUILD_EXAMPLES=ON -DMOB_BUILD_BENCH=OFF -DMOB_TEST_TIMEOUT=300 \
                  "-DCMAKE_CXX_FLAGS=-O0 -g1 -Wno-maybe-uninitialized" -DMOB_LIBRARY_COMPILE_OPTIONS=-O1
SAN_CTEST_ARGS ?= --label-exclude 'consumer|containers'
SAN_COMMON := halt_on_error=1:print_stacktrace=1
ASAN_ENV := MOB_TEST_LOAD_DIVISOR=10 ASAN_OPTIONS=$(SAN_COMMON):detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1:check_initialization_order=1 \
            UBSAN_OPTIONS=$(SAN_COMMON):report_error_type=1
TSAN_ENV := MOB_TEST_LOAD_DIVISOR=25 TSAN_OPTIONS=$(SAN_COMMON):second_deadlock_stack=1:report_signal_unsafe=0:suppressions=$(CURDIR)/scripts/tsan.supp

# The fuzz build: clang, only the fuzz target and what it links, every part of it
# instrumented for libFuzzer's coverage, ASan and UBSan, a UBSan report fatal (else the
# fuzzer would carry on past it). What it finds goes to build-fuzz/found (inputs that
# reach new code, reread on the next run) and build-fuzz/crash-* (inputs that fail).
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CXX ?= clang++
FUZZ_CMAKE_ARGS ?= -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DMOB_FUZZ=ON -DMOB_SANITIZER=address$(comma)undefined$(comma)fuzzer-no-link \
                   -DMOB_BUILD_TESTS=OFF -DMOB_BUILD_EXAMPLES=OFF -DMOB_BUILD_BENCH=OFF -DMOB_BUILD_TOOLS=OFF \
                   -DMOB_INSTALL=OFF "-DCMAKE_CXX_FLAGS=-O1 -g -fno-sanitize-recover=all"
FUZZ_ENV := ASAN_OPTIONS=$(SAN_COMMON):detect_leaks=1 UBSAN_OPTIONS=$(SAN_COMMON):report_error_type=1
# -entropic=0: twice the runs a second here (its feature bookkeeping dominates otherwise).
FUZZ_ARGS ?= -entropic=0 -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
CHAOS_SECONDS ?= 20

.DEFAULT_GOAL := build
.PHONY: deps deps-containers build demo test test-containers bench bench-scale plots soak sanitize sanitize-asan \
        sanitize-tsan fuzz fuzz-build fuzz-keep format format-check clean

deps:
	@bash scripts/install-deps.sh

deps-containers:
	@bash scripts/install-deps.sh --containers

build: deps
	@test -f $(BUILD_DIR)/CMakeCache.txt || \
	  $(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)

demo: build
	@echo "mob-hello: open http://127.0.0.1:$${HELLO_PORT:-1337}/ in a browser; press Ctrl-C to stop."
	./$(BUILD_DIR)/examples/hello/mob-hello

test: build
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j$(CTEST_JOBS) --timeout $(TEST_TIMEOUT) \
	  --label-exclude containers

# Builds the image and runs it: minutes, and podman; so not part of `make test`.
test-containers: deps-containers build
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -L containers

# A program, not a test: its own build directory (build-bench/) and its own installs.
bench:
	@bash bench/run.sh $(BENCH_ARGS)

# One kingpin with 4, 16 and 1000 workers: start-up, memory, idle CPU, dispatch, revive.
bench-scale:
	@bash bench/run.sh --scale $(BENCH_ARGS)

# Every benchmark with --data, and the plots docs/performance.md shows (gnuplot).
plots:
	@bash bench/plots.sh $(BENCH_ARGS)
# The chaos test's own ctest TIMEOUT (300 s) bounds CHAOS_SECONDS to about 250.
soak: build
	MOB_CHAOS_SECONDS=$(CHAOS_SECONDS) $(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -L chaos

sanitize: sanitize-asan sanitize-tsan

# ThreadSanitizer is for the threaded code, libmob-worker: the tests that run workers
# in threads of their own, and the unit tests of its lock-free outbox, queue, dispatcher
# and call table (the kingpin is single-threaded).
TSAN_TARGETS ?= rpc_test messaging_test monitor_test protocol_errors_test \
                worker_mpsc_queue_test worker_outbox_test worker_dispatcher_test worker_call_table_test \
                worker_direct_path_test worker_connection_test
TSAN_TESTS ?= ^(rpc|messaging|worker_monitor|protocol_errors|mpsc_queue|worker_outbox|dispatcher|call_table|complete_call|direct_path|a_connection)\.

# $(call sanitize,dir,sanitizers,env,build targets,ctest args)
define sanitize
	@test -f $(1)/CMakeCache.txt || \
	  $(CMAKE) -S . -B $(1) -DCMAKE_BUILD_TYPE=$(SAN_BUILD_TYPE) -DMOB_SANITIZER=$(2) $(SAN_CMAKE_ARGS)
	$(CMAKE) --build $(1) -j$(JOBS) $(4)
	$(3) $(CTEST) --test-dir $(1) --output-on-failure -j$(CTEST_JOBS) --timeout $(TEST_TIMEOUT) $(SAN_CTEST_ARGS) $(5)
endef

sanitize-asan: deps
	$(call sanitize,$(ASAN_DIR),address$(comma)undefined,$(ASAN_ENV),,)

sanitize-tsan: deps
	$(call sanitize,$(TSAN_DIR),thread,$(TSAN_ENV),--target $(TSAN_TARGETS),-R '$(TSAN_TESTS)')

fuzz-build:
	@bash scripts/install-deps.sh --fuzz
	@test -f $(FUZZ_DIR)/CMakeCache.txt || \
	  $(CMAKE) -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=None $(FUZZ_CMAKE_ARGS)
	$(CMAKE) --build $(FUZZ_DIR) -j$(JOBS) --target mob-fuzz-broker

fuzz: fuzz-build
	mkdir -p $(FUZZ_DIR)/found
	$(FUZZ_ENV) ./$(FUZZ_DIR)/test/fuzz/mob-fuzz-broker $(FUZZ_ARGS) -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/found test/fuzz/corpus

# Edges only (-use_counters=0), so the repository keeps one input per new branch reached,
# not one per new hit count.
fuzz-keep: fuzz-build
	$(FUZZ_ENV) ./$(FUZZ_DIR)/test/fuzz/mob-fuzz-broker $(FUZZ_ARGS) -use_counters=0 -merge=1 \
	  test/fuzz/corpus $(FUZZ_DIR)/found

format:
	find $(FORMAT_DIRS) -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0 | \
	  xargs -0 -r $(CLANG_FORMAT) -i

format-check:
	find $(FORMAT_DIRS) -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0 | \
	  xargs -0 -r $(CLANG_FORMAT) --dry-run --Werror

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
