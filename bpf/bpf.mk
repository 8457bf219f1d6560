# bpf/bpf.mk — the eBPF component (tcpid.bpf.c, built with clang; its libbpf
# skeleton made by bpftool) and its loader tcpid.c, linked into crosstag
# (crosstag bpf attach|detach|status; crosstagd calls tcpid_attach).
BPF_CLANG ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
BPF_OUT   := $(BUILD)/obj/bpf
TCPID_OBJ := $(BPF_OUT)/tcpid.o
BPF_ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)

$(BPF_OUT)/tcpid.bpf.o: bpf/tcpid.bpf.c bpf/tcpid.h
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -O2 -g -Wall -target bpf -I$(BPF_ARCH_INC) -Ibpf -c $< -o $@

$(BPF_OUT)/tcpid.skel.h: $(BPF_OUT)/tcpid.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(TCPID_OBJ): bpf/tcpid.c bpf/tcpid.h $(BPF_OUT)/tcpid.skel.h
	$(CC) $(STD) $(WARN) $(CFLAGS) -Ibpf -I$(BPF_OUT) -c -o $@ $<

# the tracker reads the map with the layout tcpid.h declares
$(BUILD)/obj/tool/ct_sockets.o: bpf/tcpid.h

$(BUILD)/bin/crosstag: $(TCPID_OBJ)
CLI_OBJS += $(TCPID_OBJ)
CLI_LIBS += -lbpf

# udptag: the UDP sequence tag (udptag.bpf.c, tc programs) and its loader
UDPTAG_OBJ := $(BPF_OUT)/udptag.o

$(BPF_OUT)/udptag.bpf.o: bpf/udptag.bpf.c bpf/udptag.h
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -O2 -g -Wall -target bpf -mcpu=v3 -I$(BPF_ARCH_INC) -Ibpf -c $< -o $@

$(BPF_OUT)/udptag.skel.h: $(BPF_OUT)/udptag.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(UDPTAG_OBJ): bpf/udptag.c bpf/udptag.h $(BPF_OUT)/udptag.skel.h
	$(CC) $(STD) $(WARN) $(CFLAGS) -Ibpf -I$(BPF_OUT) -c -o $@ $<

$(BUILD)/obj/tool/ct_udptag.o: bpf/udptag.h
$(BUILD)/bin/crosstag: $(UDPTAG_OBJ)
CLI_OBJS += $(UDPTAG_OBJ)

# what both loaders share (bpffs.c)
BPFFS_OBJ := $(BPF_OUT)/bpffs.o
$(BPFFS_OBJ): bpf/bpffs.c bpf/bpffs.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) $(CFLAGS) -Ibpf -c -o $@ $<
$(TCPID_OBJ) $(UDPTAG_OBJ): bpf/bpffs.h
$(BUILD)/bin/crosstag: $(BPFFS_OBJ)
CLI_OBJS += $(BPFFS_OBJ)
