# tests/tests.mk — builds every tests/progs/NAME.c into $(BUILD)/tests/NAME.
# Included by the top-level Makefile (CC, CFLAGS, WARN, STD, BUILD come from
# there).  Plain C11; SIMD code uses __attribute__((target(...))), so no file
# needs special flags.
TEST_PROG_SRCS := $(wildcard tests/progs/*.c)
TEST_PROGS     := $(patsubst tests/progs/%.c,$(BUILD)/tests/%,$(TEST_PROG_SRCS))
TEST_PROG_HDRS := $(wildcard tests/progs/*.h)

.PHONY: test-progs
all: $(TEST_PROGS)
test-progs: $(TEST_PROGS)

$(BUILD)/tests/%: tests/progs/%.c $(TEST_PROG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $< -pthread
