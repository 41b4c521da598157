#!/bin/bash
# run-in-vm.sh [-w DIR]... [-e VAR]... KERNEL 'command'
#
# Adapted from the team's prototype (../shared/vmtest): the guest switches
# root into the shared tree instead of chrooting, so paths the monitor
# reports from the global root are the same inside and outside the VM.
#
# Boots an extracted Debian kernel package (see get-kernel.sh) under QEMU with the
# host root filesystem shared read-only over virtio-9p (plus a throw-away tmpfs
# overlay so the guest sees a writable copy), runs 'command' with /bin/sh inside
# the guest in the caller's working directory, streams its stdout+stderr to our
# stdout, and exits with the command's exit status.
#
#   KERNEL   directory produced by get-kernel.sh (must contain boot/vmlinuz-* and
#            lib/modules/*), or just its name under $VMTEST_KDIRS (/tmp/vmtest/k).
#   -w DIR   share DIR read-write at the same path (writes reach the host).
#            Everything else written in the guest is discarded at power-off.
#   -e VAR   forward host environment variable VAR into the guest.
#
# Environment knobs:
#   VM_ACCEL=auto|kvm|tcg  (auto: kvm only if the CPU advertises vmx/svm, else tcg)
#   VM_MEM=2G VM_SMP=2 VM_TIMEOUT=900 (seconds, host-side kill)
#   VM_LSM=lockdown,capability,landlock,yama,bpf   (lsm= boot parameter; "bpf" enables BPF
#            LSM, needed on 5.10 whose CONFIG_LSM lacks it; VM_LSM=none keeps the kernel default)
#   VM_APPEND='...'  extra kernel command line;  VM_VERBOSE=1 print guest console log
#   VM_CONSOLE=FILE  copy the guest console log (kernel messages, oopses) to FILE
#   VM_QEMU_EXTRA='...'  extra QEMU arguments (bench/vm.sh: -icount shift=0,sleep=off)
#
# Exit status: the command's status; 124 = host-side timeout; 125 = VM/boot failure.
set -uo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
KDIRS=${VMTEST_KDIRS:-/tmp/vmtest/k}
RW=()
ENVV=()
while getopts "w:e:h" o; do
  case $o in
    w) RW+=("$(readlink -f "$OPTARG")");;
    e) ENVV+=("$OPTARG");;
    *) sed -n '2,25p' "$0"; exit 2;;
  esac
done
shift $((OPTIND-1))
[ $# -ge 2 ] || { sed -n '2,25p' "$0"; exit 2; }
KARG=$1; shift; CMD="$*"

if [ -d "$KARG" ]; then KDIR=$(readlink -f "$KARG"); else KDIR=$KDIRS/$KARG; fi
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -1)
[ -n "$VMLINUZ" ] || { echo "vmtest: no $KDIR/boot/vmlinuz-*" >&2; exit 125; }
REL=${VMLINUZ##*/vmlinuz-}
MODDIR=$KDIR/lib/modules/$REL
[ -f "$MODDIR/modules.dep" ] || /sbin/depmod -b "$KDIR" "$REL" || exit 125

log() { echo "vmtest: $*" >&2; }

# ---------------------------------------------------------------- initramfs
INITRD=$KDIR/.elm-vmtest-initrd.cpio.gz
if [ ! -s "$INITRD" ] || [ "$INITRD" -ot "$0" ]; then
  T=$(mktemp -d /tmp/vmtest-initrd.XXXXXX)
  mkdir -p "$T"/{bin,dev,proc,sys,newroot,mods}
  cp /bin/busybox "$T/bin/busybox"   # busybox-static
  : > "$T/mods/order"
  add_mod() {  # $1 = module name, $2 = required(1)/optional(0)
    local line path deps d
    line=$(grep -E "(^|/)$1\.ko(\.xz|\.zst|\.gz)?:" "$MODDIR/modules.dep" | head -1)
    if [ -z "$line" ]; then
      grep -qE "/$1\.ko$" "$MODDIR/modules.builtin" && return 0
      [ "$2" = 1 ] && { log "kernel $REL has no module or builtin '$1' (cloud flavour has no 9p; use the generic -amd64 one)"; return 1; }
      return 0
    fi
    path=${line%%:*}; deps=${line#*:}
    # modules.dep lists transitive deps; modprobe loads them last-to-first
    for d in $(echo $deps | tr ' ' '\n' | tac) "$path"; do
      local b; b=$(basename "$d"); b=${b%.xz}; b=${b%.zst}; b=${b%.gz}
      grep -qx "$b" "$T/mods/order" && continue
      case $d in
        *.xz) xz -dc "$MODDIR/$d" > "$T/mods/$b";;
        *.zst) zstd -qdc "$MODDIR/$d" > "$T/mods/$b";;
        *.gz) gzip -dc "$MODDIR/$d" > "$T/mods/$b";;
        *) cp "$MODDIR/$d" "$T/mods/$b";;
      esac || return 1
      echo "$b" >> "$T/mods/order"
    done
  }
  ok=1
  for m in virtio_pci 9pnet_virtio 9p; do add_mod $m 1 || ok=0; done
  # veth: the e2e tests' remote peer (tests/e2e/peer_test.go)
  for m in overlay virtio_rng veth; do add_mod $m 0; done
  [ $ok = 1 ] || { rm -rf "$T"; exit 125; }
  cat > "$T/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for a in $(cat /proc/cmdline); do
  case $a in vmtest.run=*) RUN=${a#*=};; vmtest.rw=*) RWL=${a#*=};; vmtest.kdir=*) KDIR=${a#*=};; esac
done
die() { echo "vmtest-init: $*"; echo 125 > /run.rc; poweroff -f; reboot -f; }
for m in $(cat /mods/order); do insmod /mods/$m || echo "vmtest-init: insmod $m failed"; done
O="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /lower /ovl /newroot
i=0; until mount -t 9p -o $O,ro,cache=loose hostroot /lower 2>/dev/null; do
  i=$((i+1)); [ $i -gt 100 ] && die "cannot mount 9p root"; sleep 0.05; done
mount -t tmpfs -o mode=755 tmpfs /ovl; mkdir -p /ovl/u /ovl/w
if ! mount -t overlay -o lowerdir=/lower,upperdir=/ovl/u,workdir=/ovl/w overlay /newroot; then
  echo "vmtest-init: overlay failed, using read-only root + tmpfs /tmp"
  mount --bind /lower /newroot; mount -t tmpfs tmpfs /newroot/tmp
fi
R=/newroot
mount -t proc proc $R/proc; mount -t sysfs sysfs $R/sys; mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts; mount -t tmpfs tmpfs $R/dev/shm; mount -t tmpfs tmpfs $R/run
mount -t bpf bpf $R/sys/fs/bpf
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs $R/sys/kernel/debug
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
# kernel modules of the guest kernel for modprobe inside the guest
REL=$(uname -r)
if [ -d "$R$KDIR/lib/modules/$REL" ]; then
  mkdir -p $R/lib/modules/$REL && mount --bind $R$KDIR/lib/modules/$REL $R/lib/modules/$REL
fi
mkdir -p $R$RUN && mount -t 9p -o $O vmrun $R$RUN || die "cannot mount run dir"
n=0; for p in $(echo "$RWL" | tr ':' ' '); do
  mkdir -p $R$p; mount -t 9p -o $O,cache=mmap rw$n $R$p || echo "vmtest-init: cannot mount $p"; n=$((n+1)); done
cut -d' ' -f1 /proc/uptime > $R$RUN/uptime
stty -F /dev/ttyS1 raw -echo 2>/dev/null
# switch_root, not chroot: the monitor reports paths from the global root,
# so the command must see the shared host tree at / (not at /newroot)
cp /bin/busybox $R/run/busybox
cat > $R/run/stage2 <<STAGE2
/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb /bin/sh $RUN/cmd </dev/null >/dev/ttyS1 2>&1
echo \$? > $RUN/rc
sync; umount $RUN 2>/dev/null
/run/busybox poweroff -f
STAGE2
exec switch_root $R /bin/sh /run/stage2
die "switch_root failed"
INIT
  chmod +x "$T/init"
  (cd "$T" && find . | cpio -o -H newc --quiet | gzip -1) > "$INITRD.tmp" && mv "$INITRD.tmp" "$INITRD"
  rm -rf "$T"
fi

# ------------------------------------------- optional PVH boot (speed-up)
# Under TCG the in-guest decompressor costs ~2 s per boot for the xz-compressed
# 5.10/6.1 bzImages (~0.5 s for zstd 6.12). Decompress once on the host and boot the ELF vmlinux through its PVH
# entry point (CONFIG_PVH=y in Debian kernels). VM_PVH=0 disables this.
KIMG=$VMLINUZ
if [ "${VM_PVH:-1}" = 1 ]; then
  ELF=$KDIR/.elm-vmtest-vmlinux
  if [ ! -s "$ELF" ]; then
    python3 - "$VMLINUZ" "$ELF" <<'PY' 2>/dev/null || rm -f "$ELF"
import lzma, subprocess, sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'\xfd7zXZ\x00')   # 5.10 / 6.1: xz
if i >= 0:
    out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(d[i:])
else:                           # 6.12: zstd (trailing bytes make zstd exit != 0)
    i = d.find(b'\x28\xb5\x2f\xfd')
    if i < 0: sys.exit(1)
    out = subprocess.run(['zstd', '-qdc'], input=d[i:], capture_output=True).stdout
if out[:4] != b'\x7fELF': sys.exit(1)
open(sys.argv[2], 'wb').write(out)
PY
    # PVH needs the XEN_ELFNOTE_PHYS32_ENTRY (type 0x12) note
    if [ -s "$ELF" ] && ! readelf -n "$ELF" 2>/dev/null | grep -q '(0x00000012)'; then rm -f "$ELF"; fi
    [ -s "$ELF" ] || : > "$ELF"   # empty marker = not usable, don't retry
  fi
  [ -s "$ELF" ] && KIMG=$ELF
fi

# ---------------------------------------------------------------- run dir
RUN=$(mktemp -d /tmp/vmtest-run.XXXXXX)
trap 'rm -rf "$RUN"' EXIT
{
  printf 'cd %q || exit 126\n' "$PWD"
  for v in "${ENVV[@]}"; do [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"; done
  printf '%s\n' "$CMD"
} > "$RUN/cmd"

ACCEL=${VM_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
  if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm; else ACCEL=tcg; fi
fi
if [ "$ACCEL" = kvm ]; then ACC=(-accel kvm -cpu host); else ACC=(-accel "tcg,thread=${VM_TCG_THREAD:-multi}" -cpu max); fi

RWL=""; VIRTFS=(); n=0
for d in "${RW[@]}"; do
  RWL="$RWL${RWL:+:}$d"
  VIRTFS+=(-virtfs "local,path=$d,mount_tag=rw$n,security_model=none,multidevs=remap"); n=$((n+1))
done
APPEND="console=ttyS0 rdinit=/init panic=-1 loglevel=4 mitigations=off random.trust_cpu=on"
LSM=${VM_LSM:-lockdown,capability,landlock,yama,bpf}
[ "$LSM" = none ] || APPEND+=" lsm=$LSM"
APPEND+=" vmtest.run=$RUN vmtest.kdir=$KDIR"
[ -n "$RWL" ] && APPEND+=" vmtest.rw=$RWL"
APPEND+=" ${VM_APPEND:-}"

T0=$(date +%s.%N)
timeout -k 5 "${VM_TIMEOUT:-900}" qemu-system-x86_64 -nodefaults -no-user-config \
  -machine pc "${ACC[@]}" -m "${VM_MEM:-2G}" -smp "${VM_SMP:-2}" -display none -no-reboot \
  -kernel "$KIMG" -initrd "$INITRD" -append "$APPEND" \
  -chardev file,id=con,path="$RUN/console.log" -serial chardev:con \
  -chardev stdio,id=out,signal=off -serial chardev:out \
  -device virtio-rng-pci \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$RUN,mount_tag=vmrun,security_model=none,multidevs=remap" \
  "${VIRTFS[@]}" ${VM_QEMU_EXTRA:-} </dev/null
QRC=$?
T1=$(date +%s.%N)
UP=$(cat "$RUN/uptime" 2>/dev/null || echo "?")
log "kernel=$REL accel=$ACCEL guest-uptime-at-command-start=${UP}s total-wall=$(awk "BEGIN{printf \"%.1f\", $T1-$T0}")s"
[ -n "${VM_CONSOLE:-}" ] && cp "$RUN/console.log" "$VM_CONSOLE"   # keep oopses for later
[ "${VM_VERBOSE:-0}" = 1 ] && { log "---- guest console ----"; cat "$RUN/console.log" >&2; }
if [ -f "$RUN/rc" ]; then exit "$(cat "$RUN/rc")"; fi
log "no exit status from guest (qemu rc=$QRC); last console lines:"
tail -25 "$RUN/console.log" >&2
[ $QRC = 124 ] && exit 124
exit 125
