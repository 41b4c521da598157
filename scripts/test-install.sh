#!/bin/bash
# make test-install: each way README's Install section offers, built and
# checked for real on this machine's Docker engine and kernel.
#   build    Dockerfile.build gives a static binary that runs, with the same
#            bytes as `make build` from the same tree
#   image    the runtime image (Dockerfile), started with README's docker run
#            line, reports an exec made on the host
#   package  make package: the .deb installs, runs, verifies and purges
#            cleanly in a fresh Debian 12 container; the .rpm is well formed
# With no argument, all three.  Run as root after `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/docker-env.sh

log() { printf 'test-install: %s\n' "$*" >&2; }
fail() { printf 'test-install: FAIL: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run as root"
[ -x bin/ebpf-log-monitor ] || fail "bin/ebpf-log-monitor missing: make build first"
ensure_docker
base_image
export DOCKER_BUILDKIT=1
work=$(mktemp -d /tmp/ebpf-log-monitor-install.XXXXXX)
containers=()
cleanup() {
	for c in "${containers[@]}"; do "$DOCKER" rm -f "$c" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# logs CONTAINER: the container's output so far, in $work/logs.  Read into
# a file, not piped to grep -q: grep quits at its first match, docker logs
# then dies of SIGPIPE, and under pipefail a found line reads as missing
# (it did, once the output outgrew a pipe's 64 KiB).
logs() { "$DOCKER" logs "$1" >"$work/logs" 2>&1 || true; }

# wait_log CONTAINER PATTERN SECONDS: poll the container's output for an
# extended regular expression; fail with the output's tail at the deadline.
wait_log() {
	local end=$((SECONDS + $3))
	while logs "$1" && ! grep -Eq -- "$2" "$work/logs"; do
		if [ "$SECONDS" -ge "$end" ] || [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" != true ]; then
			tail -5 "$work/logs" | cut -c1-400 >&2
			fail "$1: no /$2/ within $3 s"
		fi
		sleep 0.2
	done
}

# Packages whose versions go into the binary's bytes, for a difference report.
BUILD_INPUTS=(clang-19 libbpf-dev libelf-dev zlib1g-dev libzstd-dev libc6-dev gcc-12 linux-libc-dev)

test_build() {
	log "Dockerfile.build"
	# the host's build of this very tree (the version string is in the bytes)
	[ "$(bin/ebpf-log-monitor --version)" = "ebpf-log-monitor version $(git describe --tags --always --dirty)" ] ||
		make -B --no-print-directory build >/dev/null
	local secret=()
	[ -n "$CA_BUNDLE" ] && [ -f "$CA_BUNDLE" ] && secret=(--secret "id=ca_bundle,src=$CA_BUNDLE")
	"$DOCKER" build -q -f Dockerfile.build "${secret[@]}" -o "$work/out" . >/dev/null \
		|| fail "docker build -f Dockerfile.build"
	local b=$work/out/ebpf-log-monitor
	file "$b" | grep -q 'statically linked' || fail "Dockerfile.build: not static: $(file "$b")"
	"$b" --version | grep -q "$(git describe --tags --always --dirty)" || fail "Dockerfile.build: --version says $("$b" --version)"
	local h d
	h=$(sha256sum <bin/ebpf-log-monitor | cut -d' ' -f1)
	d=$(sha256sum <"$b" | cut -d' ' -f1)
	if [ "$h" = "$d" ]; then
		log "ok: static, runs, same bytes as make build (sha256 $h)"
		return
	fi
	# Same bytes need the same compiler and libraries: say which differ.
	dpkg-query -W -f='${Package} ${Version}\n' "${BUILD_INPUTS[@]}" 2>/dev/null | sort >"$work/host.v"
	"$DOCKER" build -q -f Dockerfile.build "${secret[@]}" --target build -t ebpf-log-monitor-build:test . >/dev/null
	"$DOCKER" run --rm ebpf-log-monitor-build:test dpkg-query -W -f='${Package} ${Version}\n' \
		"${BUILD_INPUTS[@]}" | sort >"$work/image.v"
	if cmp -s "$work/host.v" "$work/image.v"; then
		fail "Dockerfile.build: sha256 $d, make build: $h, with the same package versions"
	fi
	log "warning: bytes differ (host $h, image $d); the build inputs differ too:"
	diff "$work/host.v" "$work/image.v" | sed -n 's/^[<>]/  &/p' >&2 || true
}

test_image() {
	log "runtime image (Dockerfile) and README's docker run line"
	"$DOCKER" build -q -t ebpf-log-monitor:test . >/dev/null || fail "docker build ."
	local size
	size=$("$DOCKER" image inspect -f '{{.Size}}' ebpf-log-monitor:test)
	local c=ebpf-log-monitor-image-$$
	containers+=("$c")
	# README's docker run line itself, with this container's name and image
	local line
	line=$(awk '/^docker run -d --name ebpf-log-monitor /{on=1} on{print; if ($0 !~ /\\$/) exit}' README.md |
		sed 's/\\$//' | tr '\n' ' ')
	[ -n "$line" ] || fail "README has no 'docker run -d --name ebpf-log-monitor' line"
	line=${line/--name ebpf-log-monitor /--name $c }
	[[ $line == *" ebpf-log-monitor -f json "* ]] || fail "README's docker run line does not end in 'ebpf-log-monitor -f json': $line"
	line=${line/ ebpf-log-monitor -f json / ebpf-log-monitor:test -f json }
	log "$line"
	eval "${line/#docker/\"\$DOCKER\"}" >/dev/null || fail "README's docker run line failed"
	wait_log "$c" '"event":"start"' 60
	local marker=image-test-$$-$RANDOM
	/bin/true "$marker"
	wait_log "$c" "\"event\":\"exec\".*\"$marker\"" 30
	# from its container, the monitor still knows the host's namespaces: the
	# host's processes carry no mnt_ns, and this script's docker commands
	# (a runtime socket connect) are not an escape from a container
	if grep -E "\"event\":\"exec\".*\"$marker\"" "$work/logs" | grep -q '"mnt_ns"'; then
		fail "image: the host's /bin/true is named as in a mount namespace of its own: $(grep "$marker" "$work/logs" | cut -c1-400)"
	fi
	"$DOCKER" stop -t 10 "$c" >/dev/null
	logs "$c"
	grep -q '"event":"stop"' "$work/logs" || fail "image: no stop record after docker stop"
	if grep -q '"name":"container-escape"' "$work/logs"; then
		fail "image: container-escape on the host's docker CLI: $(grep -m1 '"name":"container-escape"' "$work/logs" | cut -c1-400)"
	fi
	log "ok: image of $size bytes reported the host's /bin/true $marker and stopped cleanly"
}

test_package() {
	log "make package: the .deb in a fresh Debian 12 container (tests/fresh/package.sh)"
	ls dist/*.deb dist/*.rpm >/dev/null 2>&1 || fail "no dist/*.deb and dist/*.rpm: make package first"
	fresh_image
	local pkgs=$work/dist
	mkdir -p "$pkgs"
	# this tree's packages only, whatever older ones dist/ holds
	local v
	v=$(make --no-print-directory -s print-pkg-version)
	cp dist/*"$v"*.deb dist/*"$v"*.rpm "$pkgs"/ || fail "no package of version $v in dist/"
	local c=ebpf-log-monitor-package-$$
	containers+=("$c")
	"$DOCKER" run --rm --name "$c" "${MONITOR_RUN_FLAGS[@]}" \
		-v "$pkgs:/dist:ro" -v "$PWD/tests/fresh/package.sh:/package.sh:ro" \
		"$FRESH_IMAGE" /package.sh || fail "package checks"
	log "ok: package $v"
}

case "${1:-all}" in
build) test_build ;;
image) test_image ;;
package) test_package ;;
all) test_build; test_image; test_package ;;
*) fail "usage: $0 [build|image|package|all]" ;;
esac
