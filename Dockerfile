# The runtime image: the static binary and the default policy, nothing else.
# Build the binary first (make build, or Dockerfile.build), then:
#
#   docker build -t ebpf-log-monitor .
#
# and monitor the host from inside it with the `docker run` line of README,
# "Install: Container image" (make test-install runs that very line): the
# host's pid namespace, /sys/kernel and bpffs, three capabilities, not
# privileged.
FROM scratch
COPY bin/ebpf-log-monitor /usr/bin/ebpf-log-monitor
COPY monitor/policy/default.yaml /etc/ebpf-log-monitor/policy.yaml
ENTRYPOINT ["/usr/bin/ebpf-log-monitor", "--policy", "/etc/ebpf-log-monitor/policy.yaml"]
