#!/bin/bash
# An ordinary admin and developer day, as one script: what the monitor must
# watch without crying wolf.  Run by TestBenignDay (benign_test.go) with
#   $1  a scratch directory in the home (a developer's workspace; removed
#       by the test, with /var/log/e2e-day and the key directory)
#   $2  the e2e helper binary (a static Go program; stands in for a local
#       web server)
# Everything stays on this machine: packages are built here and installed
# from a file, HTTP goes to 127.0.0.1.  The script undoes what it changes,
# but for the logs it rotated (an admin does not delete those).
set -eu
W=$1
HELPER=$2
U=e2eday$$
cd "$W"

step() { echo "== $*"; }

step "inspect the machine"
uname -a >/dev/null
id
ps aux >/dev/null
ss -tln >/dev/null || true
ip addr >/dev/null
df -h >/dev/null
free -m >/dev/null
cat /etc/os-release >/dev/null
ls -la /etc >/dev/null
grep -c . /etc/passwd >/dev/null
dmesg | tail -n 5 >/dev/null || true
env bash -c 'echo via env' >/dev/null

step "a package built here, installed and purged with apt-get and dpkg"
mkdir -p pkg/DEBIAN pkg/etc/cron.d pkg/etc/e2e-day pkg/usr/bin pkg/lib/systemd/system
cat > pkg/DEBIAN/control <<CTL
Package: e2e-day
Version: 1.0
Architecture: all
Maintainer: e2e <e2e@localhost>
Description: a package of the benign-day test
CTL
printf '/etc/e2e-day/e2e-day.conf\n' > pkg/DEBIAN/conffiles
printf '#!/bin/sh\nset -e\nmkdir -p /var/lib/e2e-day\nchmod 0755 /var/lib/e2e-day\n' > pkg/DEBIAN/postinst
printf '#!/bin/sh\nset -e\nif [ "$1" = purge ]; then rm -rf /var/lib/e2e-day; fi\n' > pkg/DEBIAN/postrm
chmod 0755 pkg/DEBIAN/postinst pkg/DEBIAN/postrm
printf '17 3 * * * root /usr/bin/e2e-day\n' > pkg/etc/cron.d/e2e-day
printf 'level=1\n' > pkg/etc/e2e-day/e2e-day.conf
printf '#!/bin/sh\necho e2e-day\n' > pkg/usr/bin/e2e-day
chmod 0755 pkg/usr/bin/e2e-day
printf '[Unit]\nDescription=e2e day\n[Service]\nExecStart=/usr/bin/e2e-day\n' > pkg/lib/systemd/system/e2e-day.service
fakeroot dpkg-deb --build pkg e2e-day_1.0_all.deb >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$W/e2e-day_1.0_all.deb" >/dev/null
e2e-day >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q e2e-day >/dev/null
dpkg -i e2e-day_1.0_all.deb >/dev/null
dpkg -L e2e-day >/dev/null
dpkg --purge e2e-day >/dev/null

step "go build, go vet and go test of a small module"
mkdir -p mod && cd mod
cat > go.mod <<GOMOD
module example.com/day

go 1.21
GOMOD
cat > main.go <<GO
package main

import "fmt"

func add(a, b int) int { return a + b }

func main() { fmt.Println(add(1, 2)) }
GO
cat > main_test.go <<GO
package main

import "testing"

func TestAdd(t *testing.T) {
	if add(1, 2) != 3 {
		t.Fatal("add")
	}
}
GO
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$W/gocache" GOPATH="$W/gopath"
go build -o day . && ./day >/dev/null
go vet . && go test . >/dev/null && go run . >/dev/null
cd "$W"

step "git"
mkdir repo && cd repo
git init -q . && git config user.email e2e@localhost && git config user.name e2e
echo hello > README && git add README && git commit -q -m first
git log --oneline >/dev/null && git status --short >/dev/null && git diff HEAD >/dev/null
cd "$W"

step "a user added, changed and removed"
useradd -m -s /bin/bash "$U"
usermod -c "benign day" "$U"
chage -M 90 "$U"
chage -l "$U" >/dev/null
su -s /bin/sh "$U" -c id >/dev/null
userdel -r "$U" 2>/dev/null

step "ssh keys of one's own"
K=/root/.ssh/e2eday-$$
mkdir -p -m 0700 "$K"
ssh-keygen -q -t ed25519 -N '' -f "$K/id_ed25519" -C day
ssh-keygen -l -f "$K/id_ed25519.pub" >/dev/null
ssh-keygen -y -f "$K/id_ed25519" >/dev/null
ls -la /root/.ssh "$K" >/dev/null
cat "$K/id_ed25519.pub" >/dev/null
rm -rf "$K"

step "a backup of /etc"
tar czf "$W/etc.tgz" -C / etc 2>/dev/null || true
tar tzf "$W/etc.tgz" >/dev/null

step "a local web server and its clients"
"$HELPER" http-serve 127.0.0.1:0 > "$W/http.addr" &
SRV=$!
for _ in $(seq 100); do [ -s "$W/http.addr" ] && break; sleep 0.05; done
ADDR=$(cat "$W/http.addr")
curl -s -o /dev/null "http://$ADDR/"
python3 -c "import urllib.request; urllib.request.urlopen('http://$ADDR/').read()"
python3 -c 'import socket; print(socket.getfqdn())' >/dev/null
getent hosts localhost >/dev/null
kill "$SRV"; wait "$SRV" 2>/dev/null || true

step "log rotation"
mkdir -p /var/log/e2e-day
for i in $(seq 20); do echo "line $i" >> /var/log/e2e-day/app.log; done
cat > "$W/logrotate.conf" <<LR
/var/log/e2e-day/app.log {
	rotate 2
	compress
	missingok
	create 0640 root root
}
LR
logrotate -f -s "$W/logrotate.state" "$W/logrotate.conf"
logrotate -f -s "$W/logrotate.state" "$W/logrotate.conf"

step "a rootless namespace"
unshare -r id >/dev/null
unshare -r --mount sh -c 'mount -t tmpfs none /mnt && touch /mnt/x' || true

step "a look inside another network namespace (a container's, as the admin sees it)"
unshare -n sleep 60 &
NS=$!
SLEEP=$(readlink -f /usr/bin/sleep)
for _ in $(seq 200); do [ "$(readlink /proc/$NS/exe 2>/dev/null)" = "$SLEEP" ] && break; sleep 0.05; done
nsenter -t "$NS" --net ip addr >/dev/null
kill "$NS"; wait "$NS" 2>/dev/null || true

step "an interactive-looking shell fed by a pipe"
echo 'echo hi' | bash -i >/dev/null 2>&1 || true
echo done
