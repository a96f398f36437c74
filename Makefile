# forewarn — the two commands are `make demo` and `make test`; everything else is a helper.
BUILD      ?= build
ASAN_BUILD ?= build-asan
BENCH_BUILD ?= build-bench
DEMO_DATA  ?= demo-data
DEMO_LISTEN ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test test-asan demo bench format format-check clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFOREWARN_WERROR=ON \
	  -DFOREWARN_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# Builds and runs every test (unit, store conformance, API over sockets, end to end).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFOREWARN_SANITIZE=ON \
	  -DFOREWARN_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# Seeds the demo scenario into a fresh $(DEMO_DATA) and serves it on $(DEMO_LISTEN).
demo: build
	rm -rf $(DEMO_DATA)
	./$(BUILD)/forewarn demo --data $(DEMO_DATA) --listen $(DEMO_LISTEN)

# Microbenchmarks (bench/run.sh), then the HTTP feed/artifact benchmark beside nginx
# (bench/feed_bench.sh); `--bench` also installs wrk and nginx. Results: bench/RESULTS.md.
bench:
	@scripts/install-deps --bench
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DFOREWARN_BENCH=ON
	cmake --build $(BENCH_BUILD) -j $(JOBS)
	bench/run.sh $(BENCH_BUILD)
	bench/feed_bench.sh $(BENCH_BUILD)

FORMAT_FILES = $(shell git ls-files '*.h' '*.cc')

format:
	clang-format-14 -i $(FORMAT_FILES)

format-check:
	clang-format-14 --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD)
