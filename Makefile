# The two commands of the README:
#   make demo   installs what is missing, builds, writes the demo database and runs configs/demo.yaml
#   make test   installs what is missing, builds and runs the whole test suite with ctest
# And for testing under faults (docs/testing.md):
#   make test-sanitize  builds build-sanitize with ASan + UBSan (g++) and runs the whole suite
#                       there, failing on the first report
#   make fuzz           builds the libFuzzer targets of fuzz/ in build-fuzz (needs clang++) and
#                       runs each for FUZZ_SECONDS (default 300) on its corpus
BUILD ?= build
JOBS ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo

.PHONY: all demo test deps test-deps configure build bench clean test-sanitize fuzz

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh build test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	$(BUILD)/tally demo --db data/demo.db
	$(BUILD)/tally run configs/demo.yaml

test: test-deps configure
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600

# ASan + UBSan over the whole suite. Tests labelled no-sanitize cannot run
# under ASan (see docs/testing.md); fuzz ones have their own sanitized build.
SANITIZE_BUILD ?= build-sanitize
SANITIZE_FLAGS ?= -fsanitize=address,undefined -fno-omit-frame-pointer
test-sanitize: test-deps
	cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_C_FLAGS="$(SANITIZE_FLAGS)" -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS)" \
	  -DCMAKE_EXE_LINKER_FLAGS="$(SANITIZE_FLAGS)" -DCMAKE_SHARED_LINKER_FLAGS="$(SANITIZE_FLAGS)" \
	  -DCMAKE_MODULE_LINKER_FLAGS="$(SANITIZE_FLAGS)"
	cmake --build $(SANITIZE_BUILD) -j$(JOBS)
	cd $(SANITIZE_BUILD) && \
	  ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS) --timeout 1200 -LE 'fuzz|no-sanitize'

# libFuzzer targets (clang++ only), each run FUZZ_SECONDS on its corpus.
FUZZ_SECONDS ?= 300
fuzz:
	fuzz/fuzz.sh build build-fuzz
	@for t in $$(fuzz/fuzz.sh targets); do \
	  fuzz/fuzz.sh run build-fuzz $$t $(FUZZ_SECONDS) || exit $$?; done

bench: build
	@scripts/install-deps.sh bench
	bench/run.sh

clean:
	rm -rf $(BUILD)
