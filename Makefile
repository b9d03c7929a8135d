# The two commands of the README:
#   make demo   installs what is missing, builds, writes the demo database and runs configs/demo.yaml
#   make test   installs what is missing, builds and runs the whole test suite with ctest
BUILD ?= build
JOBS ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo

.PHONY: all demo test deps test-deps configure build bench clean

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

bench: build
	@scripts/install-deps.sh bench
	bench/run.sh

clean:
	rm -rf $(BUILD)
