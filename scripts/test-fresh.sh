#!/bin/bash
# make test-fresh: the README's test command, `sudo make test`, from a clean
# clone of HEAD inside a fresh Debian 12 container on the real kernel.  It
# proves that `make deps` installs everything (Go included) and that no test
# leans on something this host happens to have.
#
# The container is what the monitor needs on any host, no more: the host's
# pid and network namespaces, /sys/kernel (BTF, tracefs, debugfs) and bpffs,
# and capabilities added one by one (--privileged is not used: it needs
# CAP_SYS_RESOURCE, which some hosts, this VM among them, do not have).
# seccomp is off because the tests themselves call unshare, mount, ptrace,
# bpf and init_module on purpose.  CAP_SYS_ADMIN stands in for CAP_BPF and
# CAP_PERFMON, which Docker 20.10 does not know by name.
#
# CA_BUNDLE: a CA bundle for a TLS-intercepting proxy, mounted read-only as
# one more file in the container's /etc/ssl/certs, where Go finds it (as it
# would a corporate CA) whatever sudo does to the environment.  Defaults to
# this host's bundle when there is one; CA_BUNDLE= turns it off.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/docker-env.sh

[ "$(id -u)" -eq 0 ] || docker_die "run as root (sudo make test-fresh)"
ensure_docker
base_image
IMAGE=ebpf-log-monitor-fresh:bookworm
docker_log "building $IMAGE (tests/fresh/Dockerfile)"
"$DOCKER" build -q -t "$IMAGE" tests/fresh >/dev/null

CA_BUNDLE=${CA_BUNDLE-/etc/ssl/certs/ca-certificates.crt}
ca=()
if [ -n "$CA_BUNDLE" ] && [ -f "$CA_BUNDLE" ]; then
	ca=(-v "$(realpath "$CA_BUNDLE"):/etc/ssl/certs/zz-host-ca-bundle.pem:ro")
fi

name=ebpf-log-monitor-fresh-$$
trap '"$DOCKER" rm -f "$name" >/dev/null 2>&1 || true' EXIT
docker_log "sudo make test from a clean clone of $(git rev-parse --short HEAD) in $IMAGE"
"$DOCKER" run --rm --name "$name" \
	--pid host --network host \
	-v /sys/kernel:/sys/kernel -v /sys/fs/bpf:/sys/fs/bpf \
	-v "$PWD:/src:ro" "${ca[@]}" \
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
	--cap-add SYS_ADMIN --cap-add SYS_PTRACE \
	--cap-add NET_ADMIN --cap-add IPC_LOCK --cap-add DAC_READ_SEARCH --cap-add SYS_MODULE \
	--cap-add SYSLOG \
	-e CI="${CI:-}" \
	"$IMAGE" bash -euo pipefail -c '
		useradd -m -s /bin/bash dev
		echo "dev ALL=(ALL) NOPASSWD: ALL" >/etc/sudoers.d/dev
		git clone -q /src /home/dev/ebpf-log-monitor   # /src is root'"'"'s: dev may not read it
		chown -R dev: /home/dev/ebpf-log-monitor
		cd /home/dev/ebpf-log-monitor
		su dev -c "sudo make test"
	'
