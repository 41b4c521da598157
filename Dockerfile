# The runtime image: the static binary and the default policy, nothing else.
# Build the binary first (make build, or Dockerfile.build), then:
#
#   docker build -t ebpf-log-monitor .
#
# and monitor the host from inside it (README, "Install: container image"):
#
#   docker run -d --name ebpf-log-monitor --pid host --cap-add SYS_ADMIN --cap-add SYS_PTRACE \
#       --cap-add DAC_READ_SEARCH -v /sys/kernel:/sys/kernel:ro -v /sys/fs/bpf:/sys/fs/bpf \
#       ebpf-log-monitor -f json
FROM scratch
COPY bin/ebpf-log-monitor /usr/bin/ebpf-log-monitor
COPY monitor/policy/default.yaml /etc/ebpf-log-monitor/policy.yaml
ENTRYPOINT ["/usr/bin/ebpf-log-monitor", "--policy", "/etc/ebpf-log-monitor/policy.yaml"]
