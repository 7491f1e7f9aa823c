# baton - frame-sync runtime. See README.md.
#
#   make                 library + tools           make check        portable Check suites
#   make check-gpu       suites that need CUDA + NVIDIA Vulkan
#   make check-sanitize  the portable suites built with ASan + UBSan
#   make check-kernel    the V4L2 source against the kernel's vivid driver, in QEMU
#   make fuzz            libFuzzer targets, FUZZ_SECONDS each (make fuzz-replay: the corpus once)
#   make gpu-bundle      fill gpu/ with sm_XX binaries, loader, ICD manifest, run script
#   make install PREFIX=/usr/local DESTDIR=   (LIBDIR=$(PREFIX)/lib by default)
#   make examples        tools/examples built against an installed-style tree (pkg-config)
#   make deb             libbaton1, libbaton-dev, baton-tools .debs in build/deb/
#   make check-deb       install the .debs into a clean Debian root and run them there
#   make BOARD=<name>    pick the board profile in boards/<name>.board (CUDA arch)

VERSION_MAJOR := 1
VERSION       := 1.0.0
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
DESTDIR ?=
BOARD   ?= x86-discrete
CUDA    ?= /usr/local/cuda
NVCC    ?= $(CUDA)/bin/nvcc
CC      ?= gcc
BUILD   ?= build
SANITIZE ?=

BOARD_FILE := boards/$(BOARD).board
ifeq ($(wildcard $(BOARD_FILE)),)
$(error BOARD=$(BOARD): no profile $(BOARD_FILE); choose one of: $(basename $(notdir $(wildcard boards/*.board))))
endif
CUDA_ARCH ?= $(shell sed -n 's/^[[:space:]]*cuda_arch[[:space:]]*=[[:space:]]*\(sm_[0-9a-z]*\).*/\1/p' $(BOARD_FILE) | head -n 1)
ifeq ($(CUDA_ARCH),)
$(error $(BOARD_FILE) has no "cuda_arch = sm_NN" line)
endif
CUDA_ARCH_NUM := $(subst sm_,,$(CUDA_ARCH))

# GStreamer's headers are included as system headers: they do not build
# with our warning flags
GST_PKGS   := gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0
PKG_CFLAGS := $(shell pkg-config --cflags vulkan libdrm xcb) \
              $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(GST_PKGS)))
PKG_LIBS   := $(shell pkg-config --libs vulkan libdrm xcb $(GST_PKGS))
CHECK_LIBS := $(shell pkg-config --libs --static check)

WARN    := -Wall -Wextra -Werror -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes -Wno-format-truncation
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(CFLAGS) -Iinclude -Iruntime \
              -isystem $(CUDA)/include $(PKG_CFLAGS) -MMD -MP \
              -DBATON_VERSION=\"$(VERSION)\" -DBATON_BOARD=\"$(BOARD)\"
NVCCFLAGS := -std=c++17 -O2 -g -Xcompiler -fPIC,-Wall,-Wextra,-Werror -Werror all-warnings \
             -gencode arch=compute_$(CUDA_ARCH_NUM),code=sm_$(CUDA_ARCH_NUM) -Iinclude -Iruntime -MMD -MP
LDLIBS  := -L$(CUDA)/lib64 -lcudart_static $(PKG_LIBS) -lpng -lstdc++ -ldl -lrt -lpthread -lm
LDFLAGS ?=
# make V=1 shows the full commands
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

# ThreadSanitizer build (make check-tsan): build/tsan
TSAN ?=
ifneq ($(TSAN),)
BUILD := build/tsan
ALL_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif

ifneq ($(SANITIZE),)
BUILD := build/sanitize
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_C   := $(sort $(wildcard runtime/*/*.c))
LIB_CU  := $(sort $(wildcard runtime/*/*.cu))
LIB_OBJ := $(LIB_C:%.c=$(BUILD)/%.o) $(LIB_CU:%.cu=$(BUILD)/%.cu.o)
LIB_A   := $(BUILD)/libbaton.a
LIB_SO  := $(BUILD)/libbaton.so.$(VERSION)
SONAME  := libbaton.so.$(VERSION_MAJOR)

TOOL_SRC := $(sort $(wildcard tools/baton-*.c))
TOOLS    := $(TOOL_SRC:tools/%.c=$(BUILD)/%)
TOOL_LIB_SRC := tools/json_writer.c
TOOL_LIB_OBJ := $(TOOL_LIB_SRC:%.c=$(BUILD)/%.o)
BENCH_LIB_SRC := $(sort $(wildcard tools/bench_*.c))
BENCH_LIB_OBJ := $(BENCH_LIB_SRC:%.c=$(BUILD)/%.o)
RUN_LIB_SRC := $(sort $(wildcard tools/run_*.c))
RUN_LIB_OBJ := $(RUN_LIB_SRC:%.c=$(BUILD)/%.o)

TEST_UTIL_SRC := $(sort $(wildcard tests/util_*.c))
TEST_UTIL_OBJ := $(TEST_UTIL_SRC:%.c=$(BUILD)/%.o)
CHECK_SRC := $(sort $(wildcard tests/check_*.c))
CHECKS    := $(CHECK_SRC:tests/%.c=$(BUILD)/tests/%)
GPU_SRC   := $(sort $(wildcard tests/gpu_*.c))
GPU_TESTS := $(GPU_SRC:tests/%.c=$(BUILD)/tests/%)
PRELOAD_SRC := $(sort $(wildcard tests/preload_*.c))
PRELOADS  := $(PRELOAD_SRC:tests/%.c=$(BUILD)/tests/%.so)
# the NVTX tool the NVTX test loads (NVTX_INJECTION64_PATH), like the preloads a .so
PRELOADS  += $(BUILD)/tests/inject_nvtx.so

.SECONDARY:
.PHONY: check-tsan soak run all lib tools tests check check-gpu check-sanitize sanitize-build check-kernel gpu-bundle install clean
all: lib tools

# The main job on defaults that need no hardware (see README).
run: all
	$(BUILD)/baton-run

lib: $(LIB_A) $(LIB_SO) $(BUILD)/baton.pc
tools: $(TOOLS)
tests: $(CHECKS) $(GPU_TESTS) $(PRELOADS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NVCC    $<")
	$(Q)$(NVCC) $(NVCCFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $^

$(LIB_SO): $(LIB_OBJ) runtime/libbaton.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined -Wl,--version-script=runtime/libbaton.map \
	    $(LDFLAGS) -o $@ $(LIB_OBJ) $(LDLIBS)
	ln -sf libbaton.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libbaton.so

$(BUILD)/baton.pc: runtime/baton.pc.in Makefile
	@mkdir -p $(dir $@)
	sed $(PC_SUBST) $< > $@

$(BUILD)/baton-%: $(BUILD)/tools/baton-%.o $(TOOL_LIB_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) $(LDLIBS)

$(BUILD)/baton-bench: $(BENCH_LIB_OBJ)
$(BUILD)/baton-run: $(RUN_LIB_OBJ)

$(BUILD)/tests/check_%: $(BUILD)/tests/check_%.o $(TEST_UTIL_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/tests/gpu_%: $(BUILD)/tests/gpu_%.o $(TEST_UTIL_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)
# gpu_faults' application kernels: a .cu of its own, as an application's
$(BUILD)/tests/gpu_faults: $(BUILD)/tests/fault_kernels.cu.o

# The soak (make soak): one pipeline for SOAK_FRAMES frames, nothing may grow.
SOAK_FRAMES ?= 10000000
$(BUILD)/tests/soak: $(BUILD)/tests/soak.o $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

soak: $(BUILD)/tests/soak
	@$(BUILD)/tests/soak --frames $(SOAK_FRAMES); rc=$$?; \
	if [ $$rc -eq 77 ] && [ "$$BATON_REQUIRE_TOOLS" = 1 ]; then echo "soak skipped but BATON_REQUIRE_TOOLS=1"; exit 1; fi; \
	[ $$rc -eq 0 ] || [ $$rc -eq 77 ]

$(BUILD)/tests/inject_nvtx.so: tests/inject_nvtx.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -fPIC -shared -O2 -Wall -Wextra -Werror -isystem $(CUDA)/include -o $@ $< -lpthread

$(BUILD)/tests/preload_%.so: tests/preload_%.c tests/alloc_count.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -fPIC -shared -O2 -Wall -Wextra -Werror -o $@ $< -ldl

# The portable suites: run each, report every failure, fail if any failed.
check: lib $(CHECKS) $(PRELOADS) $(TOOLS)
	@BUILD=$(BUILD) tests/run-suites tests/check-abi tests/check-layers $(PACKAGING_CHECKS) $(CHECKS)

check-gpu: $(GPU_TESTS) $(PRELOADS) $(TOOLS)
	@BUILD=$(BUILD) tests/run-suites $(GPU_TESTS)

# ASan + UBSan build of the portable suites. The Vulkan loader dlcloses
# lavapipe at vkDestroyInstance, which turns lavapipe's still-reachable
# allocations into "leaks" LSan can no longer name; preloading lavapipe keeps
# it mapped so LSan judges it correctly. Our own leaks are still reported.
LAVAPIPE := $(firstword $(wildcard /usr/lib/*/libvulkan_lvp.so))
check-sanitize:
	$(MAKE) SANITIZE=1 sanitize-build
	ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(if $(LAVAPIPE),LD_PRELOAD=$(LAVAPIPE)) BUILD=build/sanitize \
	tests/run-suites $(CHECK_SRC:tests/%.c=build/sanitize/tests/%)

sanitize-build: $(CHECKS) $(PRELOADS) $(TOOLS)

# The suites where threads meet (several pipelines on one context, each with
# its completion thread; pools from several threads; the trace recorded
# from two threads; the pipeline's own threads in every case; a V4L2 camera
# bound with USERPTR, its buffers given back from the completion thread
# while next() waits) under ThreadSanitizer. lavapipe is not instrumented:
# what happens inside it is suppressed there (tests/tsan.supp), never in
# baton's code.
TSAN_SUITES := check_threads check_pipeline check_trace check_source_v4l2 check_dump_writer
check-tsan:
	$(MAKE) TSAN=1 $(TSAN_SUITES:%=build/tsan/tests/%)
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1 history_size=4" \
	BUILD=build/tsan tests/run-suites $(TSAN_SUITES:%=build/tsan/tests/%)

# Real kernel drivers in QEMU (no camera, display or KVM needed): the V4L2
# source against vivid (tests/kernel/check-kernel.sh, a tiny initramfs), then the
# drm sink's KMS path against bochs-drm, the screen grabbed with QEMU's
# screendump and compared with the reference (tests/kernel/check-kernel-drm.sh;
# baton-run from this build, lavapipe, the host's root over 9p), and the
# same with the card hot-unplugged mid-run (UNPLUG=1: stop with the error;
# DISPLAY_LOSS=1: --on-display-loss headless, go on headless), vivid stalled
# and unplugged under --on-camera-loss resync (CAMERA_LOSS=1), and vivid -> pipeline
# -> bochs, the whole camera-to-screen path (CAMERA=1); vkms (built here
# out of tree by tests/kernel/build-vkms.sh: Debian's kernel lacks it), whose
# vblank emulation paces the flips (VKMS=1); the steady-state allocation
# count with the drm sink (ALLOC=1, tests/check_pipeline_alloc); the first two
# and the display loss going headless again
# with the ASan/UBSan/LSan baton-run (SANITIZED=1: after check-sanitize,
# else they skip). Each exits
# 77 (skip) when linux-image-amd64 / qemu-system-x86 / busybox-static are
# missing; CI installs them and sets BATON_REQUIRE_TOOLS=1 so a skip fails.
check-kernel: $(TOOLS)
	@for t in check-kernel check-kernel-drm check-kernel-drm+UNPLUG=1 check-kernel-drm+CAMERA=1 \
	          check-kernel-drm+DISPLAY_LOSS=1 check-kernel-drm+CAMERA_LOSS=1 \
	          check-kernel-drm+VKMS=1 check-kernel-drm+ALLOC=1 check-kernel-drm+SANITIZED=1 \
	          check-kernel-drm+UNPLUG=1+SANITIZED=1 check-kernel-drm+DISPLAY_LOSS=1+SANITIZED=1; do \
	    script=$${t%%+*}; extra=$${t#"$$script"}; \
	    echo "== $$script $$(echo "$${extra#+}" | tr + ' ')"; \
	    env BUILD=$(BUILD) $$(echo "$${extra#+}" | tr + ' ') tests/kernel/$$script.sh; rc=$$?; \
	    if [ $$rc -eq 77 ] && [ "$$BATON_REQUIRE_TOOLS" = 1 ]; then echo "$$t skipped but BATON_REQUIRE_TOOLS=1"; exit 1; fi; \
	    [ $$rc -eq 0 ] || [ $$rc -eq 77 ] || exit 1; \
	done

# ---- fuzzing (tests/fuzz/, README "Fuzzing") --------------------------------
# libFuzzer targets for the Y4M and pipe sources, board profiles and trace
# files, built with clang and ASan + UBSan into build/fuzz/ (the runtime's C
# files once more, with coverage; the parsers need no CUDA). `make fuzz` runs
# each for FUZZ_SECONDS over a scratch copy of its corpus; `make fuzz-replay`
# (part of `make check`) runs each once over its checked-in corpus. Without
# clang and libFuzzer both print SKIP and pass, unless BATON_REQUIRE_TOOLS=1.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_BUILD   := build/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_LIB     := $(FUZZ_BUILD)/libbaton-fuzz.a
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $(filter-out -Wno-format-truncation,$(WARN)) \
                -Iinclude -Iruntime -isystem $(CUDA)/include $(PKG_CFLAGS) -MMD -MP -fno-sanitize-recover=undefined \
                -DBATON_VERSION=\"$(VERSION)\" -DBATON_BOARD=\"$(BOARD)\"
.PHONY: fuzz fuzz-replay fuzz-build
check: fuzz-replay

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_LIB): $(LIB_C:%.c=$(FUZZ_BUILD)/%.o)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIB) \
	    $(shell pkg-config --libs $(GST_PKGS)) -lm -lpthread

fuzz-build: $(FUZZ_TARGETS)

fuzz fuzz-replay:
	@tests/fuzz/run-fuzz probe $(FUZZ_CC); rc=$$?; \
	if [ $$rc -eq 0 ]; then $(MAKE) --no-print-directory fuzz-build && \
	    FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz $(if $(filter fuzz,$@),run,replay) $(FUZZ_TARGETS); rc=$$?; fi; \
	if [ $$rc -eq 77 ] && [ "$$BATON_REQUIRE_TOOLS" = 1 ]; then echo "$@ skipped but BATON_REQUIRE_TOOLS=1"; exit 1; fi; \
	[ $$rc -eq 0 ] || [ $$rc -eq 77 ]

GPU_DIR := gpu
GPU_GST_PLUGINS := coreelements app videotestsrc audiotestsrc videoconvertscale png multifile \
                   typefindfunctions playback rtp udp x264
gpu-bundle: $(GPU_TESTS) $(CHECKS) $(PRELOADS) $(TOOLS) $(BUILD)/tests/soak examples
	rm -rf $(GPU_DIR) && mkdir -p $(GPU_DIR)/tests $(GPU_DIR)/examples
	cp $(TOOLS) $(GPU_DIR)/
	cp $(GPU_TESTS) $(CHECKS) $(PRELOADS) $(BUILD)/tests/soak $(GPU_DIR)/tests/
	cp $(BUILD)/examples/edge_overlay $(GPU_DIR)/examples/   # check_example, gpu_example
	cp -L $(BUILD)/$(SONAME) $(GPU_DIR)/                     # which it links
	strip --strip-debug $(GPU_DIR)/baton-* $(GPU_DIR)/tests/* $(GPU_DIR)/examples/* $(GPU_DIR)/$(SONAME)   # the tree travels in 64 MiB
	cp tests/run-suites tools/gpu-run.sh $(GPU_DIR)/
	cp -r boards $(GPU_DIR)/
	cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib/x86_64-linux-gnu/libsubunit.so.0 $(GPU_DIR)/
	mkdir -p $(GPU_DIR)/fallback   # what the GPU machine may lack (gpu-run.sh's LD_LIBRARY_PATH)
	cd /usr/lib/x86_64-linux-gnu && cp -L libxcb.so.1 libXau.so.6 libXdmcp.so.6 libbsd.so.0 libmd.so.0 $(CURDIR)/$(GPU_DIR)/fallback/
	# GStreamer's libraries (libbaton links them for the gst source and sink)
	# and what they load
	cd /usr/lib/x86_64-linux-gnu && cp -L libgstreamer-1.0.so.0 libgstbase-1.0.so.0 libgstapp-1.0.so.0 \
	    libgstvideo-1.0.so.0 libglib-2.0.so.0 libgobject-2.0.so.0 libgmodule-2.0.so.0 liborc-0.4.so.0 \
	    libffi.so.8 libpcre2-8.so.0 libunwind.so.8 libdw.so.1 libelf.so.1 liblzma.so.5 libbz2.so.1.0 \
	    $(CURDIR)/$(GPU_DIR)/fallback/
	# GStreamer's plugins for gpu_gst and for what of check_source_gst and
	# check_sink_gst can run without ffmpeg, gst-launch-1.0 and gst-inspect-1.0,
	# and every library they load but the C runtime (gpu-run.sh points
	# GStreamer's registry at gst-plugins/ only)
	mkdir -p $(GPU_DIR)/gst-plugins $(GPU_DIR)/bin
	cd /usr/lib/x86_64-linux-gnu/gstreamer-1.0 && cp -L $(GPU_GST_PLUGINS:%=libgst%.so) $(CURDIR)/$(GPU_DIR)/gst-plugins/
	cp -L /usr/bin/gst-launch-1.0 /usr/bin/gst-inspect-1.0 $(GPU_DIR)/bin/
	ldd $(GPU_DIR)/gst-plugins/*.so $(GPU_DIR)/bin/* | awk '$$2 == "=>" && $$3 ~ /^\// { print $$3 }' | sort -u | \
	    grep -vE '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|ld-linux-x86-64)\.so' | \
	    xargs cp -L -t $(GPU_DIR)/fallback/
	cp tools/nvidia_icd_egl.json $(GPU_DIR)/
	@if [ -f /usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so ]; then \
	  mkdir -p $(GPU_DIR)/layers && \
	  cp /usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so $(GPU_DIR)/layers/ && \
	  sed 's|"library_path": *"[^"]*"|"library_path": "./libVkLayer_khronos_validation.so"|' \
	    /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json > $(GPU_DIR)/layers/VkLayer_khronos_validation.json; \
	else echo "note: vulkan-validationlayers not installed; gpu bundle has no validation layer"; fi
	@du -sh $(GPU_DIR)

install: lib tools
	install -d $(DESTDIR)$(PREFIX)/include/baton $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -p -m 644 include/baton/*.h $(DESTDIR)$(PREFIX)/include/baton/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libbaton.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libbaton.so
	sed $(PC_SUBST) runtime/baton.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/baton.pc
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/baton/boards
	install -m 644 boards/*.board $(DESTDIR)$(PREFIX)/share/baton/boards/

# ==== issue 12: toolkit check, baton-probe's arch check, CMake package, ====
# ==== the example application, Debian packages. One block, for easy rebases. ====

# baton-probe says when the device's GPU is not one this build has code for.
ALL_CFLAGS += -DBATON_CUDA_ARCH=\"$(CUDA_ARCH)\"
$(BUILD)/baton-probe: $(BUILD)/tools/probe_arch.o $(BUILD)/tools/boards_dir.o
$(BUILD)/baton-run: $(BUILD)/tools/boards_dir.o
$(BUILD)/tests/check_probe_arch: $(BUILD)/tests/check_probe_arch.o $(BUILD)/tools/probe_arch.o $(TEST_UTIL_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

# Stop before any nvcc call when this nvcc cannot build the board's cuda_arch,
# naming the toolkit the profile asks for (tools/toolkit-check.sh; test:
# tests/check-toolkit, run by make check). Not for `make clean`.
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell tools/toolkit-check.sh '$(BOARD)' '$(BOARD_FILE)' '$(CUDA_ARCH)' '$(origin CUDA_ARCH)' '$(NVCC)' >&2; echo $$?),0)
$(error BOARD=$(BOARD): stopped before calling nvcc, see above)
endif
endif
PACKAGING_CHECKS := tests/check-toolkit

# baton.pc and the CMake package (<libdir>/cmake/baton: baton::baton), made
# by make install from runtime/*.in.
SIZEOF_VOID_P = $(shell echo | $(CC) -dM -E - | sed -n 's/^\#define __SIZEOF_POINTER__ //p')
PC_SUBST = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|g' \
           -e 's|@VERSION@|$(VERSION)|g' -e 's|@CUDA@|$(CUDA)|g' -e 's|@CUDA_ARCH@|$(CUDA_ARCH)|g' \
           -e 's|@BOARD@|$(BOARD)|g'
CMAKE_SUBST = -e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' \
              -e 's|@CUDA_ARCH@|$(CUDA_ARCH)|g' -e 's|@BOARD@|$(BOARD)|g' \
              -e 's|@SIZEOF_VOID_P@|$(SIZEOF_VOID_P)|g' \
              -e "s|@LIBDIR_TO_PREFIX@|$$(realpath -m --relative-to='$(LIBDIR)' '$(PREFIX)')|g"
install: install-cmake
install-cmake:
	install -d $(DESTDIR)$(LIBDIR)/cmake/baton
	sed $(CMAKE_SUBST) runtime/batonConfig.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/baton/batonConfig.cmake
	sed $(CMAKE_SUBST) runtime/batonConfigVersion.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/baton/batonConfigVersion.cmake
.PHONY: install-cmake

# The example application (tools/examples), built the way an application is:
# baton installed into $(STAGE) (make install DESTDIR=), the example's own
# Makefile given nothing but pkg-config pointed there. tests/check_example
# runs it; tests/check-cmake builds it again with CMake.
STAGE := $(BUILD)/stage
, := ,
examples: lib tools
	@rm -rf $(STAGE)
	@$(MAKE) --no-print-directory install DESTDIR=$(abspath $(STAGE)) > /dev/null
	$(Q)PKG_CONFIG_PATH=$(abspath $(STAGE))$(LIBDIR)/pkgconfig PKG_CONFIG_SYSROOT_DIR=$(abspath $(STAGE)) \
	  $(MAKE) --no-print-directory -C tools/examples O=$(abspath $(BUILD))/examples CC='$(CC)' \
	    CUDA='$(CUDA)' NVCC='$(NVCC)' LDFLAGS='$(LDFLAGS)' \
	    CFLAGS='-O2 -g $(WARN) $(if $(SANITIZE),-fsanitize=address$(,)undefined -fno-omit-frame-pointer)'
check: examples
sanitize-build: examples
PACKAGING_CHECKS += tests/check-cmake
.PHONY: examples

# Debian packages: libbaton1 (the SONAME's major), libbaton-dev, baton-tools,
# for this machine's architecture (dpkg --print-architecture), in $(DEB_DIR)
# (tools/make-deb.sh). make check-deb installs them into a clean Debian root
# (debootstrap) and runs them there (tests/check-deb); it skips (77) without
# debootstrap or root, which fails under BATON_REQUIRE_TOOLS=1.
DEB_DIR := $(BUILD)/deb
deb: lib tools
	@rm -rf $(DEB_DIR)
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_DIR))/root PREFIX=/usr \
	    LIBDIR=/usr/lib/$$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $(CC) -print-multiarch) > /dev/null
	tools/make-deb.sh $(DEB_DIR) $(VERSION) $(VERSION_MAJOR) $(BOARD) $(CUDA_ARCH)

check-deb: deb
	@BUILD=$(BUILD) tests/check-deb; rc=$$?; \
	if [ $$rc -eq 77 ] && [ "$$BATON_REQUIRE_TOOLS" = 1 ]; then echo "check-deb skipped but BATON_REQUIRE_TOOLS=1"; exit 1; fi; \
	[ $$rc -eq 0 ] || [ $$rc -eq 77 ]
.PHONY: deb check-deb
# ==== end of issue 12 block ====

clean:
	rm -rf build $(GPU_DIR)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
