#!/usr/bin/env bash
# Image sizes, a cold build (--no-cache) and a code-only rebuild of each service, on the CI
# stand-in base (PYTHON_IMAGE) unless PYTHON_IMAGE is set. Prints a Markdown table.
# Usage: bench/images.sh   (needs the Docker daemon; takes a few minutes, network for PyPI)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck disable=SC1091 # env.sh is sourced relative to the script, checked on its own
source "$root/.ci/env.sh"
export DOCKER_BUILDKIT=1
export PYTHON_IMAGE="${PYTHON_IMAGE:-ci.local/debian-python:3.11-bookworm}"
if [ -z "${BUILD_CA_BUNDLE:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export BUILD_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
fi
at=(--registry shipay-ci.local --namespace bench --version bench)
ref() { echo "shipay-ci.local/bench/$1:bench"; }
now() { date +%s.%N; }
secs() { printf '%.1f' "$(echo "$2 - $1" | bc)"; }

start="$(now)"
npx --no-install tsx "$root/scripts/build.ts" "${at[@]}" --no-cache --quiet
cold="$(secs "$start" "$(now)")"

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$root/.dockerignore" "$ctx/"
mkdir -p "$ctx/apps"
cp -r "$root/apps/api_rest" "$root/apps/async_worker" "$ctx/apps/"
rebuild() { # $1 service dir, $2 image name
  local args=(-q -f "$root/docker/$1/Dockerfile" --build-arg "BASE_IMAGE=$(ref shipay-base)" -t "$(ref "$2")")
  [ -n "${BUILD_CA_BUNDLE:-}" ] && args+=(--secret "id=build_ca,src=$BUILD_CA_BUNDLE")
  docker build "${args[@]}" "$ctx" >/dev/null # warm: the copy as it is (apps may have moved on since the cold build)
  echo "# code change $(date +%s%N)" >> "$ctx/apps/$1/src/$1/__init__.py"
  local t0; t0="$(now)"
  docker build "${args[@]}" "$ctx" >/dev/null
  secs "$t0" "$(now)"
}
api_rebuild="$(rebuild api_rest shipay-api-rest)"
worker_rebuild="$(rebuild async_worker shipay-async-worker)"

size() { docker image inspect --format '{{.Size}}' "$(ref "$1")"; }
mb() { printf '%.1f' "$(echo "$1 / 1000000" | bc -l)"; }
base="$(size shipay-base)"
echo "Base: $PYTHON_IMAGE; cold build of all three images (--no-cache): ${cold} s"
echo
echo "| image | size | over the base | code-only rebuild |"
echo "| --- | --- | --- | --- |"
echo "| shipay-base | $(mb "$base") MB | | |"
api="$(size shipay-api-rest)"
worker="$(size shipay-async-worker)"
echo "| shipay-api-rest | $(mb "$api") MB | $(mb $((api - base))) MB | ${api_rebuild} s |"
echo "| shipay-async-worker | $(mb "$worker") MB | $(mb $((worker - base))) MB | ${worker_rebuild} s |"
docker images --format '{{.Repository}}:{{.Tag}}' | grep '^shipay-ci.local/bench/' | xargs -r docker rmi >/dev/null 2>&1 || true
