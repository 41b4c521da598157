#!/bin/bash
# Runs inside a fresh Debian 12 container (scripts/test-install.sh package),
# with the packages in /dist: what an admin does with the .deb, checked.
set -euo pipefail
fail() { printf 'package: FAIL: %s\n' "$*" >&2; exit 1; }
log() { printf 'package: %s\n' "$*" >&2; }

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# systemd for systemd-analyze (it does not run: no systemd as pid 1 here),
# logrotate to check the snippet, rpm to read the .rpm; procps, the package's
# one dependency, now, so that the file lists below show this package alone
apt-get install -y -qq --no-install-recommends systemd logrotate rpm procps >/dev/null

# every path on the root file system but the package manager's own records
snapshot() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/lib/dpkg -o -path /var/log/dpkg.log -o -path /var/cache -o -path /dist \) -prune -o -print | sort
}
snapshot >/tmp/before

deb=$(ls /dist/*.deb)
# as an admin would: apt resolves the Depends (procps)
apt-get install -y -qq --no-install-recommends "$deb" >/dev/null || fail "apt-get install $deb"
ebpf-log-monitor --version | grep -q '^ebpf-log-monitor version ' || fail "--version: $(ebpf-log-monitor --version)"
[ "$(dpkg-query -W -f='${Conffiles}' ebpf-log-monitor | awk 'NF {print $1}' | sort | tr '\n' ' ')" = \
	"/etc/default/ebpf-log-monitor /etc/ebpf-log-monitor/policy.yaml /etc/logrotate.d/ebpf-log-monitor " ] ||
	fail "conffiles: $(dpkg-query -W -f='${Conffiles}' ebpf-log-monitor)"
unit=/usr/lib/systemd/system/ebpf-log-monitor.service
systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit"
logrotate -d /etc/logrotate.d/ebpf-log-monitor 2>/tmp/logrotate || { cat /tmp/logrotate >&2; fail "logrotate -d"; }
log "installed: $(ebpf-log-monitor --version), conffiles, unit verified, logrotate snippet parsed"

# The unit's own command line, as systemd would run it (no systemd here),
# with the unit's capability bounding set and no_new_privs: the packaged
# policy loads, those capabilities are enough, the log directory takes the
# events.  (The rest of the unit's sandbox needs systemd as pid 1.)
cmd=$(sed -n 's/^ExecStart=//p' "$unit")
cmd=${cmd%' $EBPF_LOG_MONITOR_OPTS'}
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
cmd="setpriv --no-new-privs --bounding-set -all,$caps -- $cmd"
events=/var/log/ebpf-log-monitor/events.json
$cmd >/dev/null &   # StandardOutput=null
pid=$!
wait_for() { # PATTERN SECONDS
	local end=$((SECONDS + $2))
	until grep -Eq -- "$1" "$events" 2>/dev/null; do
		[ -d "/proc/$pid" ] || fail "the service's command exited: $cmd"
		[ "$SECONDS" -lt "$end" ] || fail "no /$1/ in $events within $2 s"
		sleep 0.2
	done
}
wait_for '"event":"start"' 60
marker=package-test-$$-$RANDOM
/bin/true "$marker"
wait_for "\"event\":\"exec\".*\"$marker\"" 30
kill -TERM "$pid"
wait "$pid" || fail "the service's command exited $? on SIGTERM"
grep -q '"event":"stop"' "$events" || fail "no stop record"
[ "$(stat -c %a "$events")" = 600 ] || fail "$events is mode $(stat -c %a "$events")"
log "ExecStart ran: start, the exec of /bin/true $marker, stop, in $events (mode 600)"

# dpkg -r: the program, unit and docs go; the conffiles stay, and so do the
# logs (Debian's policy: both go with a purge).
dpkg -r ebpf-log-monitor >/dev/null || fail "dpkg -r"
snapshot >/tmp/removed
left=$(comm -13 /tmp/before /tmp/removed | tr '\n' ' ')
[ "$left" = "/etc/default/ebpf-log-monitor /etc/ebpf-log-monitor /etc/ebpf-log-monitor/policy.yaml /etc/logrotate.d/ebpf-log-monitor /var/log/ebpf-log-monitor /var/log/ebpf-log-monitor/events.json " ] ||
	fail "after dpkg -r, left behind: $left"
gone=$(comm -23 /tmp/before /tmp/removed | tr '\n' ' ')
[ -z "$gone" ] || fail "dpkg -r removed what was there before: $gone"
dpkg -P ebpf-log-monitor >/dev/null || fail "dpkg -P"
snapshot >/tmp/purged
left=$(comm -13 /tmp/before /tmp/purged | tr '\n' ' ')
[ -z "$left" ] || fail "after dpkg -P, left behind: $left"
log "dpkg -r kept only the conffiles and the log; dpkg -P left nothing"

# The .rpm: same files, the same three as config(noreplace), the scripts.
rpmf=$(ls /dist/*.rpm)
files_rpm=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmf" 2>/dev/null | awk '$1 !~ /^d/ {print $2}' | sort)
files_deb=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print substr($6, 2)}' | sort)
[ "$files_rpm" = "$files_deb" ] || fail "the .rpm's files differ from the .deb's: $(diff <(echo "$files_rpm") <(echo "$files_deb"))"
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmf" 2>/dev/null | grep -qx 'drwxr-x--- /var/log/ebpf-log-monitor' ||
	fail "the .rpm lacks /var/log/ebpf-log-monitor, mode 750"
[ "$(rpm -qpc "$rpmf" 2>/dev/null | sort | tr '\n' ' ')" = "/etc/default/ebpf-log-monitor /etc/ebpf-log-monitor/policy.yaml /etc/logrotate.d/ebpf-log-monitor " ] ||
	fail "rpm config files: $(rpm -qpc "$rpmf")"
rpm -qp --scripts "$rpmf" 2>/dev/null | grep -q 'daemon-reload' || fail "rpm scripts missing"
log "rpm: same files, the same config files, scripts present"
