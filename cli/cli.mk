# cli.mk — builds build/bin/crosstag from every cli/*.c and store/*.c
# (wildcards: new files are picked up without editing this).
CLI_SRCS := $(wildcard cli/*.c) $(wildcard store/*.c)
CLI_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
CLI_LIBS := -lsqlite3 -ljansson -linih

all: $(BUILD)/bin/crosstag

$(BUILD)/bin/crosstag: $(CLI_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(CLI_LIBS)

# Static pattern: only our objects, so other fragments may build theirs
# under $(BUILD)/obj/ with their own flags.
$(CLI_OBJS): $(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) $(CFLAGS) -Icommon -Istore -Icli -Ibpf -MMD -MP -c -o $@ $<

-include $(CLI_OBJS:.o=.d)

# crosstagd is crosstag started under that name (main() looks at argv[0]).
all: $(BUILD)/bin/crosstagd
$(BUILD)/bin/crosstagd: $(BUILD)/bin/crosstag
	ln -sf crosstag $@
