#!/bin/bash
# Installs what make vmtest needs: QEMU, the initramfs tools, and bullseye's
# package lists (pinned low, only to download Debian's 5.10 kernel image).
set -euo pipefail
need=()
for p in qemu-system-x86 busybox-static kmod cpio zstd xz-utils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
src=/etc/apt/sources.list.d/ebpf-log-monitor-bullseye.sources
if [ ! -f "$src" ] && ! grep -rqs 'bullseye' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > "$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bullseye-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat > /etc/apt/preferences.d/ebpf-log-monitor-bullseye <<'PIN'
Package: *
Pin: release n=bullseye
Pin-Priority: 50

Package: *
Pin: release n=bullseye-security
Pin-Priority: 50
PIN
  updated=0
fi
if [ ${#need[@]} -gt 0 ] || [ "${updated:-1}" = 0 ]; then
  apt-get update -qq
fi
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
