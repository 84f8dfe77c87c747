# Entry points: `make demo` and `make test` install what is missing, build, then train or test.
BUILD ?= build
# ccache keys on paths relative to the checkout, so that a fresh clone elsewhere (CI) reuses what was compiled.
export CCACHE_BASEDIR ?= $(CURDIR)
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PREFIX ?= /usr/local

.PHONY: deps configure build demo test sanitize bench install clean

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

# The whole CTest suite again, built by clang with AddressSanitizer and UndefinedBehaviorSanitizer (in
# build-sanitize/): any report fails the test that caused it. The CUDA backend, the AVX-512 CPU backend and the
# benchmarks are left out, to keep the build short; so is the Python package (the interpreter is not instrumented).
SANITIZE_BUILD ?= build-sanitize
# Under the sanitizers clang cannot vectorise the `omp simd` loops, and says so for each (-Wpass-failed): that says
# nothing about the release build, where GCC vectorises them.
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-pass-failed
# clang 14's LeakSanitizer misreads the dynamic TLS of libraries loaded by dlopen on Debian 12's glibc (2.36): at exit its
# tracer faults ("Tracer caught signal 11", a DTLS range at 0x1253) in any process whose main thread touched oneDNN's
# thread-local state. Not intercepting __tls_get_addr keeps it from tracking those ranges; static TLS is still scanned.
SANITIZE_ASAN_OPTIONS = intercept_tls_get_addr=0
# Plugins are linked with --no-undefined, so they link the sanitizer runtime as a shared library, as the programs do.
SANITIZE_LINK = $(SANITIZE_FLAGS) -shared-libasan -Wl,-rpath,$(shell clang++ -print-resource-dir)/lib/linux
sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS="$(SANITIZE_LINK)" -DCMAKE_SHARED_LINKER_FLAGS="$(SANITIZE_LINK)" \
	  -DCMAKE_MODULE_LINKER_FLAGS="$(SANITIZE_LINK)" \
	  -DNNPLUG_CUDA=OFF -DNNPLUG_BUILD_BENCH=OFF -DNNPLUG_PYTHON=OFF -DNNPLUG_CPU_VARIANTS="avx2;generic" $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	NNPLUG_UNDER_SANITIZER=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=$(SANITIZE_ASAN_OPTIONS) \
	  ctest --test-dir $(SANITIZE_BUILD) --output-on-failure -j $(JOBS)

# The framework, the nnplug command, the plugins, the SDK headers and the CMake package, under PREFIX.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
