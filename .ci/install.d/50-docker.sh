#!/usr/bin/env bash
# Starts the Docker engine when it is not already answering. Debian's client (/usr/bin/docker)
# is the one with BuildKit (buildx); it is put first on PATH for the suite by .ci/env.sh.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
if /usr/bin/docker info >/dev/null 2>&1; then echo "docker: engine already running"; exit 0; fi
mkdir -p /var/log
nohup dockerd >/var/log/dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if /usr/bin/docker info >/dev/null 2>&1; then echo "docker: engine up"; exit 0; fi
  sleep 1
done
echo "docker: engine did not start; last log lines:" >&2
tail -20 /var/log/dockerd.log >&2
exit 1
