#!/bin/bash
# A benign day on a Docker host (TestBenignContainerDay): an image built
# with the classic builder (a program copied into the image, an account
# added, a health check), a service container run and looked into with
# docker exec, a one-shot container, files copied in and out, a commit, a
# save and load, an export and import (what a pull does to a layer, offline),
# stop and removal.  Usage: container-day.sh DOCKER IMAGE WORKDIR PREFIX
set -euo pipefail
D=$1 IMAGE=$2 WORK=$3 P=$4
cd "$WORK"
cat > Dockerfile <<DOCKERFILE
FROM $IMAGE
RUN busybox mkdir -p /app /usr/local/bin && echo 'echo hi' > /app/run.sh && chmod 755 /app/run.sh && echo 'app:x:1000:1000::/app:/bin/sh' >> /etc/passwd && echo welcome > /etc/motd
RUN cp /bin/busybox /usr/local/bin/busybox && /usr/local/bin/busybox true
HEALTHCHECK --interval=1s CMD busybox wget -q -O /dev/null http://127.0.0.1:8080/ || exit 0
CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/app"]
DOCKERFILE
DOCKER_BUILDKIT=0 "$D" build -q -t "$P-img:1" . >/dev/null
"$D" run -d --name "$P-web" "$P-img:1" >/dev/null
"$D" run --rm --name "$P-once" "$P-img:1" sh -c 'id; cat /etc/passwd >/dev/null; ls /app; /app/run.sh' >/dev/null
"$D" exec "$P-web" busybox ps >/dev/null
"$D" exec "$P-web" cat /etc/motd >/dev/null
"$D" exec -u app "$P-web" id >/dev/null
"$D" exec "$P-web" busybox wget -q -O /dev/null http://127.0.0.1:8080/run.sh
echo data > data.txt
"$D" cp data.txt "$P-web:/app/data.txt"
"$D" cp "$P-web:/etc/motd" motd.out
"$D" logs "$P-web" >/dev/null 2>&1
"$D" inspect "$P-web" >/dev/null
"$D" commit "$P-web" "$P-img:2" >/dev/null
"$D" save "$P-img:2" | "$D" load >/dev/null
"$D" export "$P-web" | "$D" import - "$P-img:3" >/dev/null
"$D" stop -t 1 "$P-web" >/dev/null
"$D" rm "$P-web" >/dev/null
"$D" rmi "$P-img:1" "$P-img:2" "$P-img:3" >/dev/null
