#!/bin/bash
# Install what a fresh Debian 12 (bookworm) machine lacks to build, run and
# test ebpf-log-monitor.  Idempotent: present packages are skipped, and apt is
# only touched when something is missing.  Fails loudly with the reason.
set -euo pipefail

log() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo make deps): packages are installed with apt-get"
command -v apt-get >/dev/null || die "apt-get not found: only Debian 12 is supported by this script; see README for the packages"

. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || log "warning: written for Debian 12 (bookworm), this is ${PRETTY_NAME:-unknown}"

export DEBIAN_FRONTEND=noninteractive
BACKPORTS=/etc/apt/sources.list.d/bookworm-backports.sources
updated=0
apt_update() {
	[ "$updated" -eq 1 ] && return
	log "apt-get update"
	apt-get update -qq || die "apt-get update failed"
	updated=1
}

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	log "adding bookworm-backports ($BACKPORTS): libbpf >= 1.4 and bpftool 7 come from there"
	cat >"$BACKPORTS" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt_update
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Plain packages from bookworm.
# The last lines: what the e2e benign-day scenario runs (tests/e2e/testdata/benign-day.sh),
# the tools the attack suite runs and its benign twins (tests/e2e/attack_test.go), and
# the real components the output tests feed (tests/e2e/outputs_test.go).
want=(clang-19 llvm-19 libelf-dev binutils zlib1g-dev libzstd-dev pkg-config make gcc libc6-dev file util-linux iproute2 procps
	git openssh-client curl logrotate python3 fakeroot
	kmod iputils-ping cron gdb rsyslog auditd
	prometheus rsyslog-gnutls)
missing=()
for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
	apt_update
	log "installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi

# libbpf >= 1.4 (static archive) and bpftool from bookworm-backports.
need_bp=0
if ! pkg-config --atleast-version=1.4.0 libbpf 2>/dev/null || [ ! -f /usr/lib/x86_64-linux-gnu/libbpf.a ]; then need_bp=1; fi
command -v bpftool >/dev/null && bpftool version >/dev/null 2>&1 || need_bp=1
if [ "$need_bp" -eq 1 ]; then
	apt_update
	log "installing libbpf-dev and bpftool from bookworm-backports"
	# only these two from backports ("pkg/suite"): with -t the whole
	# dependency tree would follow, including elfutils 0.192 (see below)
	apt-get install -y -qq --no-install-recommends libbpf-dev/bookworm-backports bpftool/bookworm-backports >/dev/null \
		|| die "could not install libbpf-dev (>= 1.4) and bpftool from bookworm-backports"
fi

# elfutils 0.192 from backports ships a libelf.a that needs eu_search_tree_*
# from a libeu.a it does not ship: a static link fails.  bookworm's 0.188
# links; go back to it when the broken one is installed.
LIBELF_A=/usr/lib/x86_64-linux-gnu/libelf.a
elf_syms=$( (nm "$LIBELF_A" 2>/dev/null || true) | grep -c ' U eu_search_tree_init' || true)
if [ -f "$LIBELF_A" ] && [ "${elf_syms:-0}" -gt 0 ]; then
	apt_update
	v=$(apt-cache madison libelf-dev | awk -F'|' '$3 ~ /bookworm\/main/ && $2 !~ /bpo/ {gsub(/ /,"",$2); print $2; exit}')
	[ -n "$v" ] || die "libelf.a is the broken elfutils 0.192 one and no bookworm libelf-dev version was found"
	log "replacing libelf-dev $(dpkg-query -W -f='${Version}' libelf-dev) (static archive cannot link) with bookworm's $v"
	apt-get install -y -qq --no-install-recommends --allow-downgrades \
		"libelf-dev=$v" "libelf1=$v" "libdw1=$v" >/dev/null \
		|| die "could not install libelf-dev=$v from bookworm"
fi
pkg-config --atleast-version=1.4.0 libbpf || die "libbpf $(pkg-config --modversion libbpf 2>/dev/null || echo none) is older than 1.4 after install"

# Go toolchain.  Any go command >= 1.21 will do: GOTOOLCHAIN=go<version in
# go.mod> (exported here and by the Makefile) makes it fetch that exact
# toolchain from the Go module proxy, checked against the checksum database.
# A machine without one gets golang-1.23-go from bookworm-backports, so
# nothing comes from outside Debian and the module proxy.  The search order
# is the Makefile's PATH order.
GO_WANT=$(sed -n 's/^go //p' go.mod)
go_ok() { [ -x "$1" ] && GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null | grep -Eq '^go1\.(2[1-9]|[3-9][0-9])'; }
GO=
for g in /usr/local/go/bin/go /usr/lib/go-1.23/bin/go "$(command -v go || true)"; do
	if [ -n "$g" ] && go_ok "$g"; then GO=$g; break; fi
done
if [ -z "$GO" ]; then
	apt_update
	log "installing golang-1.23-go from bookworm-backports (it fetches go$GO_WANT from the module proxy)"
	apt-get install -y -qq --no-install-recommends golang-1.23-go/bookworm-backports ca-certificates >/dev/null \
		|| die "could not install golang-1.23-go from bookworm-backports"
	GO=/usr/lib/go-1.23/bin/go
fi
export GOTOOLCHAIN="go$GO_WANT"
"$GO" version >/dev/null \
	|| die "$GO could not fetch go$GO_WANT from the module proxy (behind a TLS-intercepting proxy, point SSL_CERT_FILE at its CA bundle: see README)"

# Go modules (from the module proxy; cached after the first run).
"$GO" mod download || die "go mod download failed"
log "ok: clang-19, libbpf $(pkg-config --modversion libbpf), $(bpftool version | head -1), $("$GO" version)"
