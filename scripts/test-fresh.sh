#!/bin/bash
# make test-fresh: the README's test command, `sudo make test`, from a clean
# clone of HEAD inside a fresh Debian 12 container on the real kernel.  It
# proves that `make deps` installs everything (Go included) and that no test
# leans on something this host happens to have.
#
# The container is what the monitor needs on any host, no more: the host's
# pid and network namespaces, /sys/kernel (BTF, tracefs, debugfs) and bpffs,
# and capabilities added one by one (MONITOR_RUN_FLAGS, scripts/docker-env.sh).
# Tests that need Docker get the host's engine through its socket (Docker
# cannot run inside this unprivileged container; the pid namespace is shared,
# so the pids they see are right).  CA_BUNDLE: see scripts/docker-env.sh.
#
# A fresh machine, not a container: the monitor names a container's
# processes as such, and the suite is written for a host.  So the test
# shell leaves the container's cgroup for the host's root cgroup (the
# container shares the host's cgroup namespace for this), and the fresh
# root's namespaces stand for the host's (EBPF_LOG_MONITOR_HOST_NAMESPACES=self:
# left to itself, the monitor would find the host's through a kernel
# thread, and every test process would be in a mount namespace of its own).  What cannot be made host-like is the Docker
# engine: it runs outside the fresh mount namespace, and would look like a
# process of another one entering the host's.  The tests that drive it
# (E2E_SKIP below) run in CI's host phase (make test), not here; so does
# the one that sets the kernel's core_pattern and ns_last_pid (/proc/sys
# is read-only in a container that is not privileged).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/docker-env.sh

[ "$(id -u)" -eq 0 ] || docker_die "run as root (sudo make test-fresh)"
ensure_docker
fresh_image
ca_mount

name=ebpf-log-monitor-fresh-$$
trap '"$DOCKER" rm -f "$name" >/dev/null 2>&1 || true' EXIT
docker_log "sudo make test from a clean clone of $(git rev-parse --short HEAD) in $FRESH_IMAGE"
"$DOCKER" run --rm --name "$name" "${MONITOR_RUN_FLAGS[@]}" "${CA_FLAGS[@]}" \
	-v "$PWD:/src:ro" -e CI="${CI:-}" \
	-v /var/run/docker.sock:/var/run/docker.sock \
	--cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup \
	-e E2E_SKIP='^(TestContainerRulesOnARealDockerd|TestBenignContainerDay|TestStaleExecNoteIsNotTaken)' \
	"$FRESH_IMAGE" bash -euo pipefail -c '
		unified=/sys/fs/cgroup/unified; [ -f $unified/cgroup.procs ] || unified=/sys/fs/cgroup
		echo $$ >$unified/cgroup.procs
		useradd -m -s /bin/bash dev
		echo "dev ALL=(ALL) NOPASSWD: ALL" >/etc/sudoers.d/dev
		git clone -q /src /home/dev/ebpf-log-monitor   # /src is root'"'"'s: dev may not read it
		chown -R dev: /home/dev/ebpf-log-monitor
		cd /home/dev/ebpf-log-monitor
		su dev -c "sudo EBPF_LOG_MONITOR_HOST_NAMESPACES=self make test E2E_SKIP=\"$E2E_SKIP\""
	'
