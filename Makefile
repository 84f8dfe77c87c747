# Entry points: `make demo` and `make test` install what is missing, build, then train or test.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PREFIX ?= /usr/local

.PHONY: deps configure build demo test bench install clean

deps:
	./scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/bin/nnplug train examples/fashion_mlp.json

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The framework, the nnplug command, the plugins, the SDK headers and the CMake package, under PREFIX.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
