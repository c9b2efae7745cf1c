# shellcheck shell=bash
# Sourced by .ci/run and the install steps: where the installed tools live.
export GOPATH="${GOPATH:-$HOME/go}"
export PATH="$GOPATH/bin:$HOME/.local/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
# Cache of everything CI builds or downloads, outside the clone so reruns are fast.
export CI_CACHE="${CI_CACHE:-$HOME/.cache/shipay-ci}"
mkdir -p "$CI_CACHE"
# Debian's docker client ships BuildKit support; a newer client elsewhere on PATH may lack buildx.
if [ -x /usr/bin/docker ]; then
  mkdir -p "$CI_CACHE/bin" && ln -sf /usr/bin/docker "$CI_CACHE/bin/docker"
  export PATH="$CI_CACHE/bin:$PATH"
fi
