# tool/tool.mk — the DIFT engine, a Valgrind tool linked statically against
# Debian's libcoregrind/libvex (no libc inside), plus the VALGRIND_LIB folder.
VG_INC    := /usr/include/valgrind
VG_LIBDIR := /usr/lib/x86_64-linux-gnu/valgrind
VG_EXEC   := /usr/libexec/valgrind
TOOL_DIR  := $(BUILD)/lib/crosstag
TOOL_BIN  := $(TOOL_DIR)/crosstag-amd64-linux
TOOL_SRC  := $(wildcard tool/*.c)
TOOL_OBJ  := $(patsubst tool/%.c,$(BUILD)/obj/tool/%.o,$(TOOL_SRC))
TOOL_CFLAGS := -O2 -g -std=gnu11 $(WARN) -fno-stack-protector -fno-builtin -fno-strict-aliasing \
	-fno-pie -fno-pic -fno-omit-frame-pointer -DVGA_amd64=1 -DVGO_linux=1 -DVGP_amd64_linux=1 \
	-DVGPV_amd64_linux_vanilla=1 -I$(VG_INC) -Wno-unused-parameter

TOOL_PRELOAD := $(TOOL_DIR)/vgpreload_crosstag-amd64-linux.so

all: $(TOOL_BIN) $(TOOL_PRELOAD) $(TOOL_DIR)/.links

$(BUILD)/obj/tool/%.o: tool/%.c tool/*.h common/ct_wire.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -c $< -o $@

$(TOOL_BIN): $(TOOL_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(TOOL_OBJ) -static -nodefaultlibs -nostartfiles -u _start \
		-Wl,-Ttext-segment=0x58000000 -Wl,--build-id=none \
		$(VG_LIBDIR)/libcoregrind-amd64-linux.a $(VG_LIBDIR)/libvex-amd64-linux.a \
		$(VG_LIBDIR)/libgcc-sup-amd64-linux.a -lgcc

# Code that runs inside the tracked program (glibc's copies replaced, see
# preload/ct_copy_replace.c); Valgrind preloads vgpreload_<tool>-<arch>.so
# from VALGRIND_LIB by itself.  Built as memcheck builds its own: no libc,
# and no loop turned back into a call to memcpy.
$(TOOL_PRELOAD): preload/ct_copy_replace.c common/ct_clreq.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g $(WARN) -fpic -shared -nostdlib -fno-builtin -fno-tree-loop-distribute-patterns \
		-fno-stack-protector -Wno-unused-parameter -DVGA_amd64=1 -DVGO_linux=1 -DVGP_amd64_linux=1 -I$(VG_INC) \
		-Wl,-z,now -o $@ $<

# Valgrind looks for every support file (preloads, suppressions, xml) in
# VALGRIND_LIB, so the folder links the stock ones next to our tool.
$(TOOL_DIR)/.links:
	@mkdir -p $(TOOL_DIR)
	@for f in $(VG_EXEC)/*; do ln -sf $$f $(TOOL_DIR)/; done
	@touch $@
