# ebpf-log-monitor build.  Quiet by default; V=1 shows the commands.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := build
SHELL := /bin/bash

# The go command: /usr/local/go's, else the golang-1.23-go that `make deps`
# installs from bookworm-backports, else any on PATH (sudo drops
# /usr/local/go/bin from it).  GOTOOLCHAIN pins the exact toolchain go.mod
# names; an older go command fetches it from the Go module proxy.
export PATH := /usr/local/go/bin:/usr/lib/go-1.23/bin:$(PATH)
GO_VERSION := $(shell sed -n 's/^go //p' go.mod)
export GOTOOLCHAIN := go$(GO_VERSION)

ifeq ($(V),1)
Q :=
else
Q := @
endif

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
CLANG ?= $(shell command -v clang-19 || command -v clang)
BPFTOOL ?= bpftool
GO ?= go
# The pinned toolchain's gofmt, not whichever one PATH finds first.  Found in
# the recipe's shell: make 4.3 does not pass the exported PATH to $(shell).
GOFMT = "$$($(GO) env GOROOT)/bin/gofmt"
ARCH := x86

BIN := bin/ebpf-log-monitor
# One source, three objects: one for every kernel from 5.10, one for 5.17
# and later, one for 6.4 and later (BUILD_5_17, BUILD_6_4: what those
# kernels settle is settled when compiling; bpf/common.h).  The binary
# embeds all three, the loader takes one.  DWARF is stripped: libbpf reads
# the BTF only.
BPF_OBJ := monitor/log_monitor.bpf.o monitor/log_monitor.5.17.bpf.o monitor/log_monitor.6.4.bpf.o
LLVM_STRIP ?= $(shell command -v llvm-strip-19 || command -v llvm-strip)
BPF_SRC := bpf/log_monitor.bpf.c $(wildcard bpf/*.h)
GO_SRC := $(shell find . -name '*.go' -not -path './bench/*' 2>/dev/null) go.mod go.sum
POLICY_SRC := $(wildcard monitor/policy/*.yaml)
# The built-in policy's expressions as CEL checked them, embedded so that
# the first start of a boot parses none (monitor/rules/kept.go).  Built, not
# committed, like the objects: it follows the rules' code and the policy.
BUILT_CHECKS := monitor/builtin.checks
# What the monitor package embeds: every target that compiles it needs them.
EMBEDDED := $(BPF_OBJ) $(BUILT_CHECKS)

include libbpf/libbpf.mk

BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I bpf -fdebug-prefix-map=$(CURDIR)=.
CGO_ENV = CGO_ENABLED=1 CGO_CFLAGS="$(LIBBPF_CFLAGS)" CGO_LDFLAGS="$(LIBBPF_STATIC_LIBS)"
GO_LDFLAGS := -linkmode external -extldflags '-static' -s -w -buildid= -X main.version=$(VERSION)
GO_TAGS := netgo,osusergo


# Fuzzing: each target runs this many inputs in `make test` (longer: make fuzz
# FUZZTIME=10m).  A count, not a duration: Go 1.26's fuzz coordinator can
# fail a clean run with "context deadline exceeded" when a duration ends
# while a worker is busy (go.dev/issue/75804, fixed in Go 1.27); seen here.
FUZZTIME ?= 200000x
# Each new input the fuzzer finds is minimised with at most this many runs:
# Go's default (a minute) stalls every worker for seconds per find, which
# doubled make test's time once the policy parser grew the rule language.
FUZZMINIMIZE ?= 100x

.PHONY: all build deps vmlinux run test unit e2e vet fmt clean bpf fuzz bench bench-rules bench-vm vmtest test-fresh bpf-headers precision bench-containers bench-outputs \
	package test-install ecs-fields

all: build

deps:
	$(Q)scripts/deps.sh

bpf: $(BPF_OBJ)

define bpf_compile
	@echo "  CLANG   $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) $(1) -c bpf/log_monitor.bpf.c -o $@
	$(Q)$(LLVM_STRIP) --strip-debug -R .rel.BTF -R .rel.BTF.ext $@
endef

monitor/log_monitor.bpf.o: $(BPF_SRC)
	$(call bpf_compile,)

monitor/log_monitor.5.17.bpf.o: $(BPF_SRC)
	$(call bpf_compile,-DBUILD_5_17)

monitor/log_monitor.6.4.bpf.o: $(BPF_SRC)
	$(call bpf_compile,-DBUILD_5_17 -DBUILD_6_4)

$(BUILT_CHECKS): $(GO_SRC) $(POLICY_SRC)
	@echo "  CHECKS  $@"
	$(Q)$(GO) run -trimpath -buildvcs=false ./monitor/rules/builtchecks $@

build: $(BIN)

$(BIN): $(EMBEDDED) $(GO_SRC) $(POLICY_SRC) | libbpf-check
	@echo "  GO      $@ ($(VERSION))"
	$(Q)mkdir -p bin
	$(Q)$(CGO_ENV) $(GO) build -trimpath -buildvcs=false -tags $(GO_TAGS) -ldflags "$(GO_LDFLAGS)" -o $@ .
	$(Q)file $@ | grep -q 'statically linked' || { echo "error: $@ is not statically linked" >&2; exit 1; }

# Regenerate bpf/vmlinux.h from this machine's kernel BTF (committed; only
# needed when a new kernel type is used).
vmlinux:
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > bpf/vmlinux.h

run: deps build
	$(Q)./$(BIN) $(ARGS)

# Each BPF header compiles on its own: none leans on what another happened
# to include before it.
BPF_HEADERS := $(filter-out bpf/vmlinux.h,$(wildcard bpf/*.h))
bpf-headers:
	$(Q)for h in $(BPF_HEADERS); do \
		echo "#include \"$$(basename $$h)\"" | $(CLANG) $(BPF_CFLAGS) -fsyntax-only -x c - || \
		{ echo "error: $$h does not compile on its own" >&2; exit 1; }; done

vet: $(EMBEDDED) bpf-headers
	@echo "  VET"
	$(Q)$(CGO_ENV) $(GO) vet -tags $(GO_TAGS) ./...
	$(Q)test -z "$$($(GOFMT) -l $$(git ls-files '*.go'))" || { echo "error: gofmt needed:"; $(GOFMT) -l $$(git ls-files '*.go'); exit 1; }

# Unit tests and root end-to-end tests against this machine's kernel.  The
# end-to-end tests fail (never skip) here when they cannot run.
test: deps build vet
	@echo "  TEST"
	$(Q)$(CGO_ENV) E2E_REQUIRED=1 MONITOR_BIN=$(CURDIR)/$(BIN) \
		$(GO) test -tags $(GO_TAGS) -count=1 $(if $(E2E_SKIP),-skip '$(E2E_SKIP)') ./... 2>&1 | tee /tmp/ebpf-log-monitor-test.log; exit $${PIPESTATUS[0]}
	@echo "  TEST    deploy (Helm chart, Kubernetes manifests)"
	$(Q)cd deploy && $(GO) test -count=1 ./...
	$(Q)$(MAKE) --no-print-directory fuzz

# The decoder and the policy parser take untrusted input: no input may panic.
fuzz: $(EMBEDDED)
	@echo "  FUZZ    $(FUZZTIME) each"
	$(Q)$(CGO_ENV) $(GO) test -tags $(GO_TAGS) -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./monitor/event
	$(Q)$(CGO_ENV) $(GO) test -tags $(GO_TAGS) -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./monitor/policy

# The README's `sudo make test` from a clean clone of HEAD in a fresh Debian 12
# container on this kernel (installs and starts Docker if needed).
test-fresh:
	$(Q)scripts/test-fresh.sh

# dist/*.deb and dist/*.rpm (packaging/nfpm.yaml).  The package version is the
# tag (v1.2.3 -> 1.2.3) or, untagged, 0.0.0~git<commits>.<hash>, which sorts
# below any release.
NFPM := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
PKG_VERSION = $(shell t=$$(git describe --tags --match 'v[0-9]*' --exact-match 2>/dev/null); \
	if [ -n "$$t" ]; then echo "$${t#v}"; else echo "0.0.0~git$$(git rev-list --count HEAD).$$(git rev-parse --short HEAD)"; fi)
package: $(BIN)
	$(Q)mkdir -p dist
	$(Q)for p in deb rpm; do \
		PKG_VERSION='$(PKG_VERSION)' $(GO) run $(NFPM) package -f packaging/nfpm.yaml -p $$p -t dist/ >/dev/null || exit 1; done
	@ls dist/*$(subst ~,?,$(PKG_VERSION))* | sed 's/^/  PKG     /'

print-pkg-version:
	@echo '$(PKG_VERSION)'

# Every install path README gives, built and checked on this machine's Docker
# engine: Dockerfile.build, the runtime image, the .deb in a fresh container.
test-install: $(BIN) package
	$(Q)scripts/test-install.sh

unit: $(EMBEDDED)
	$(Q)$(CGO_ENV) $(GO) test -tags $(GO_TAGS) -count=1 ./...

# The benign-day scenario alone, with its figures (README, "Precision"):
# an admin and developer day judged by the default policy, an attack beside it.
precision: deps build
	$(Q)$(CGO_ENV) E2E_REQUIRED=1 MONITOR_BIN=$(CURDIR)/$(BIN) \
		$(GO) test -tags $(GO_TAGS) -count=1 -run '^(TestBenignDayAndAnAttackBesideIt|TestBenignContainerDay)$$' -v ./tests/e2e/ | \
		grep -v '^        {'; exit $${PIPESTATUS[0]}

# Benchmark against no monitor, auditd and libbpf-tools (installed here if
# missing); prints ratios and writes bench/results.json; then (when no
# BENCH_ARGS narrow it) the outputs bench, bench/outputs.json.  Not part of test.
BENCH_ARGS ?=
bench: deps build
	$(Q)for p in auditd libbpf-tools; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null; done
	$(Q)$(GO) run ./bench -monitor $(BIN) $(if $(BENCH_BASELINE),-baseline $$(bench/baseline.sh $(BENCH_BASELINE))) $(BENCH_ARGS)
	$(Q)$(if $(BENCH_ARGS),,$(MAKE) --no-print-directory bench-outputs)

# make bench-vm: bench/floor.sh (the open+close and getppid loops against
# no observer, the empty floors and the monitor) inside Debian's 6.1 and
# 6.12 under QEMU, timed and instruction-counted (bench/vm.sh).  Not part
# of test.
bench-vm: deps
	$(Q)./bench/vm.sh $(BENCH_VM_KERNELS)

# Containers: identity's cost per record (host against container), a start
# storm of 50 with every record's container checked, RSS with 100 known.
bench-containers: deps build
	$(Q)$(GO) run ./bench -monitor $(BIN) -containers 50

# What each output (log file, ECS, /metrics, syslog, webhook) costs the
# monitor at 100,000 events/s (bench/outputs.go).
bench-outputs: deps build
	$(Q)$(GO) run ./bench -monitor $(BIN) -outputs 100000 -rounds 3 -phase 5s

# The part of ECS's field reference the ECS output is tested against
# (monitor/output/ecscheck), from elastic/ecs's generated/ecs/ecs_flat.yml.
ECS_FLAT ?= ../shared/schemas/ecs/ecs_flat.yml
ECS_SOURCE ?= elastic/ecs generated/ecs/ecs_flat.yml 9.5.0-dev b85f7573f0b4 (Apache-2.0)
ecs-fields:
	$(Q)$(GO) run ./monitor/output/ecsgen "$(ECS_SOURCE)" $(ECS_FLAT) > monitor/output/ecscheck/ecs_fields.json.new
	$(Q)mv monitor/output/ecscheck/ecs_fields.json.new monitor/output/ecscheck/ecs_fields.json

# The cost of the rules per record, against the Go rules of an earlier
# commit (bench/rules.sh; default 7116da2), in one run.
bench-rules:
	$(Q)bench/rules.sh $(BENCH_RULES_BASE)

# The e2e suite inside Debian's 5.10, 6.1 and 6.12 kernels under QEMU
# (vmtest/README.md). Slow (software emulation); not part of test.
VMTEST_KERNELS ?=
vmtest: deps
	$(Q)./vmtest/matrix.sh $(VMTEST_KERNELS)

fmt:
	$(Q)$(GOFMT) -w $$(git ls-files '*.go')

clean:
	$(Q)rm -rf bin dist $(EMBEDDED)
