#!/bin/sh
# Before removal (deb: "remove"; rpm: $1 = 0): stop and disable the service.
# An upgrade (deb: "upgrade"; rpm: $1 = 1) leaves it to postinst's restart.
set -e
case "$1" in
remove|0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now ebpf-log-monitor.service >/dev/null 2>&1 || true
	fi
	;;
esac
