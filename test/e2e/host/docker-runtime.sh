#!/usr/bin/env bash
# Registers ci-runc (runc minus the capabilities this machine cannot grant, see ./ci-runc) with
# the running dockerd as the runtime "ci-runc"; with --default also as its default runtime,
# which kind needs: it runs nodes with `docker run --privileged` and `docker exec --privileged`,
# both of which fail on Docker 20.10 when CAP_SYS_RESOURCE is missing from the bounding set.
# Does nothing when every capability is available. Idempotent.
#   - copies ci-runc to $CI_CACHE/bin/ci-runc (dockerd runs it from there, not from the clone);
#   - merges {"runtimes": {"ci-runc": ...}} (and "default-runtime") into /etc/docker/daemon.json;
#   - reloads dockerd with SIGHUP: runtimes and default-runtime are live-reloadable, running
#     containers are not touched.
# Undo: set "default-runtime": "runc" in /etc/docker/daemon.json and SIGHUP dockerd (a reload
# ignores keys that are absent, so only deleting the key keeps ci-runc the default until dockerd
# restarts); the "runtimes" entry is harmless once it is not the default.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
# shellcheck source=../../../.ci/env.sh
source "$root/.ci/env.sh"

make_default=""
[ "${1:-}" = --default ] && make_default=1
config=/etc/docker/daemon.json
runtime="$CI_CACHE/bin/ci-runc"

bounding=$((16#$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)))
last=$(cat /proc/sys/kernel/cap_last_cap)
if [ "$bounding" -eq $(((1 << (last + 1)) - 1)) ]; then
  echo "docker-runtime: every capability is available; ci-runc not needed"
  exit 0
fi

mkdir -p "$CI_CACHE/bin" /etc/docker
install -m 0755 "$here/ci-runc" "$runtime"

current="{}"
[ -s "$config" ] && current="$(cat "$config")"
wanted="$(jq --arg path "$runtime" --arg default "$make_default" '
  .runtimes["ci-runc"] = {path: $path}
  | if $default == "1" then .["default-runtime"] = "ci-runc" else . end' <<<"$current")"
if [ "$(jq -S . <<<"$current")" != "$(jq -S . <<<"$wanted")" ]; then
  printf '%s\n' "$wanted" >"$config.tmp" && mv "$config.tmp" "$config"
  pid="$(pidof dockerd)" || { echo "docker-runtime: dockerd is not running" >&2; exit 1; }
  kill -HUP "$pid"
fi

for _ in $(seq 1 20); do
  if docker info --format '{{json .Runtimes}}' | jq -e 'has("ci-runc")' >/dev/null &&
    { [ -z "$make_default" ] || [ "$(docker info --format '{{.DefaultRuntime}}')" = ci-runc ]; }; then
    echo "docker-runtime: ci-runc registered (default runtime: $(docker info --format '{{.DefaultRuntime}}'))"
    exit 0
  fi
  sleep 0.5
done
echo "docker-runtime: dockerd did not pick up ci-runc; see its log" >&2
exit 1
