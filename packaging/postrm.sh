#!/bin/sh
# After removal: the logs go with a purge (deb), as Debian's policy has it;
# rpm has no purge, so its erase ($1 = 0) keeps them, as rpm daemons do.
set -e
case "$1" in
purge)
	rm -rf /var/log/ebpf-log-monitor
	;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
