# libbpf glue: which libbpf the Go binding needs, and how to link it statically.
# The variables are recursive (=): on a fresh machine libbpf is installed by
# `make deps` after this file is read.
#
# github.com/aquasecurity/libbpfgo v0.7.0-libbpf-1.4 is written against the
# libbpf 1.4 API.  We link the distribution's static libbpf.a (Debian:
# libbpf-dev from bookworm-backports, 1.4.6) instead of building libbpf from
# a git submodule, so the version is checked here, before anything is built.

LIBBPF_MIN_VERSION := 1.4.0
LIBBPF_PACKAGE := libbpf-dev (>= 1.4, from bookworm-backports: apt-get install libbpf-dev/bookworm-backports)

LIBBPF_VERSION = $(shell pkg-config --modversion libbpf 2>/dev/null)
LIBBPF_STATIC_LIBS = $(shell pkg-config --static --libs libbpf 2>/dev/null)
LIBBPF_CFLAGS = $(shell pkg-config --cflags libbpf 2>/dev/null)
LIBBPF_ARCHIVE = $(shell pkg-config --variable=libdir libbpf 2>/dev/null)/libbpf.a

.PHONY: libbpf-check
libbpf-check:
	@if ! pkg-config --exists libbpf; then \
		echo "error: libbpf not found by pkg-config; install $(LIBBPF_PACKAGE), or run 'make deps'" >&2; exit 1; fi
	@if ! pkg-config --atleast-version=$(LIBBPF_MIN_VERSION) libbpf; then \
		echo "error: libbpf $(LIBBPF_VERSION) is too old (need >= $(LIBBPF_MIN_VERSION)); install $(LIBBPF_PACKAGE), or run 'make deps'" >&2; exit 1; fi
	@if [ ! -f "$(LIBBPF_ARCHIVE)" ]; then \
		echo "error: $(LIBBPF_ARCHIVE) missing: a static libbpf is needed; install $(LIBBPF_PACKAGE)" >&2; exit 1; fi
