# crosstag — top-level build.  Each component keeps its rules in its own
# fragment; everything lands in build/ (bin/crosstag, lib/crosstag/ holding the
# Valgrind tool plus links to the stock Valgrind files, tests/ programs).
CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra
STD     := -std=c11 -D_GNU_SOURCE
BUILD   := build

.PHONY: all clean test
all:

include tool/tool.mk
include cli/cli.mk
include bpf/bpf.mk
include tests/tests.mk

test: all
	bash tests/run.sh

clean:
	rm -rf $(BUILD)
