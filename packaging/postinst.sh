#!/bin/sh
# After install or upgrade: make systemd see the unit.  The service is not
# enabled or started: loading BPF programs on every host is the admin's call
# (systemctl enable --now ebpf-log-monitor).  An upgrade restarts it if it runs.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	systemctl try-restart ebpf-log-monitor.service >/dev/null 2>&1 || true
fi
