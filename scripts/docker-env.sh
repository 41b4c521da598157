#!/bin/bash
# Sourced by the scripts that build images or run containers: makes sure a
# Docker engine answers, and picks the client that speaks to it.
#
# Debian's docker.io (20.10: dockerd, containerd, runc, BuildKit built in) is
# installed when no engine answers.  Without systemd as pid 1 nothing starts
# dockerd, so it is started here, logging to /var/log/ebpf-log-monitor-dockerd.log,
# and left running for the next caller.  Nothing is pulled from a registry:
# debian:bookworm, when the engine lacks it, is made with debootstrap from
# Debian's mirror and imported (base_image).

docker_log() { printf 'docker: %s\n' "$*" >&2; }
docker_die() { printf 'docker: error: %s\n' "$*" >&2; exit 1; }

# The engine's own client when Debian's is installed: a newer stand-alone
# client needs the buildx plugin for BuildKit, 20.10's has it built in.
DOCKER=${DOCKER:-}
pick_client() {
	[ -n "$DOCKER" ] && return
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=$(command -v docker || true); fi
}

ensure_docker() {
	pick_client
	if [ -n "$DOCKER" ] && "$DOCKER" info >/dev/null 2>&1; then return; fi
	if ! command -v dockerd >/dev/null; then
		[ "$(id -u)" -eq 0 ] || docker_die "no Docker engine: run as root to install Debian's docker.io"
		docker_log "installing docker.io"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io >/dev/null \
			|| docker_die "apt-get install docker.io failed"
		DOCKER=
		pick_client
	fi
	if ! "$DOCKER" info >/dev/null 2>&1; then
		docker_log "starting dockerd (log: /var/log/ebpf-log-monitor-dockerd.log)"
		setsid dockerd >>/var/log/ebpf-log-monitor-dockerd.log 2>&1 </dev/null &
		local i
		for i in $(seq 1 120); do
			"$DOCKER" info >/dev/null 2>&1 && return
			kill -0 $! 2>/dev/null || docker_die "dockerd exited: $(tail -3 /var/log/ebpf-log-monitor-dockerd.log)"
			sleep 0.5
		done
		docker_die "dockerd did not answer within 60 s: $(tail -3 /var/log/ebpf-log-monitor-dockerd.log)"
	fi
}

# base_image: debian:bookworm in the engine's store.  Pulled where a registry
# answers; where none does, debootstrap --variant=minbase (what the official
# image is made of) from Debian's mirror, imported once and kept.
base_image() {
	"$DOCKER" image inspect debian:bookworm >/dev/null 2>&1 && return
	if timeout 60 "$DOCKER" pull -q debian:bookworm >/dev/null 2>&1; then return; fi
	command -v debootstrap >/dev/null || {
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; } \
		|| docker_die "apt-get install debootstrap failed"
	local root
	root=$(mktemp -d /var/tmp/ebpf-log-monitor-bookworm.XXXXXX)
	docker_log "no registry: building debian:bookworm with debootstrap in $root"
	debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$root.log" 2>&1 \
		|| { tail -5 "$root.log" >&2; rm -rf "$root"; docker_die "debootstrap failed (log: $root.log)"; }
	# the official image's sources: updates and security too, not main alone
	rm -f "$root/etc/apt/sources.list"
	cat >"$root/etc/apt/sources.list.d/debian.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
	tar -C "$root" -c . | "$DOCKER" import -c 'CMD ["bash"]' - debian:bookworm >/dev/null \
		|| docker_die "docker import failed"
	rm -rf "$root" "$root.log"
}

# busybox_image: ebpf-log-monitor-busybox:test, a root of one static
# busybox (Debian's busybox-static) and a passwd and shadow of its own:
# what the container tests run, made in a second with no registry.
BUSYBOX_IMAGE=ebpf-log-monitor-busybox:test
busybox_image() {
	"$DOCKER" image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1 && return
	if ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >/dev/null \
			|| docker_die "apt-get install busybox-static failed"
	fi
	local root a
	root=$(mktemp -d /var/tmp/ebpf-log-monitor-busybox.XXXXXX)
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
	cp /bin/busybox "$root/bin/busybox"
	for a in sh cat sleep ls cp chmod touch id true; do ln -s busybox "$root/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:*:19000:0:99999:7:::' >"$root/etc/shadow"
	chmod 0640 "$root/etc/shadow"
	tar -C "$root" -c . | "$DOCKER" import -c 'CMD ["/bin/sh"]' - "$BUSYBOX_IMAGE" >/dev/null \
		|| { rm -rf "$root"; docker_die "docker import of the busybox root failed"; }
	rm -rf "$root"
}

# What a container needs to run the monitor against the host (the caps one by
# one: --privileged needs CAP_SYS_RESOURCE, which some hosts, this VM among
# them, do not have).  CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON,
# which Docker 20.10 does not know by name.  seccomp is off because the tests
# call unshare, mount, ptrace, bpf and init_module on purpose.
MONITOR_RUN_FLAGS=(
	--pid host --network host
	-v /sys/kernel:/sys/kernel -v /sys/fs/bpf:/sys/fs/bpf
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined
	--cap-add SYS_ADMIN --cap-add SYS_PTRACE --cap-add NET_ADMIN --cap-add IPC_LOCK
	--cap-add DAC_READ_SEARCH --cap-add SYS_MODULE --cap-add SYSLOG
)

# fresh_image: ebpf-log-monitor-fresh:bookworm, debian:bookworm plus git, make
# and sudo (tests/fresh/Dockerfile), as a new user's machine.
FRESH_IMAGE=ebpf-log-monitor-fresh:bookworm
fresh_image() {
	base_image
	"$DOCKER" build -q -t "$FRESH_IMAGE" tests/fresh >/dev/null || docker_die "docker build tests/fresh"
}

# CA_BUNDLE: a CA bundle for a TLS-intercepting proxy (default: this host's,
# when it has one; CA_BUNDLE= for none).  ca_mount gives the docker run
# flags that put it, read-only, as one more file in /etc/ssl/certs, where Go
# finds it (as it would a corporate CA) whatever sudo does to the environment.
CA_BUNDLE=${CA_BUNDLE-/etc/ssl/certs/ca-certificates.crt}
ca_mount() {
	CA_FLAGS=()
	if [ -n "$CA_BUNDLE" ] && [ -f "$CA_BUNDLE" ]; then
		CA_FLAGS=(-v "$(realpath "$CA_BUNDLE"):/etc/ssl/certs/zz-host-ca-bundle.pem:ro")
	fi
}
