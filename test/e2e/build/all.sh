#!/usr/bin/env bash
# Everything the offline kind cluster needs, built from registries this machine reaches, each
# step idempotent and cached under $E2E_CACHE: Kubernetes binaries, the control-plane and addon
# images, kind's base image from Debian packages, the node image; plus the CI stand-ins the chart
# runs for Kafka and PostgreSQL.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
step() {
  local start=$SECONDS
  echo "== e2e build: $1"
  bash "$here/$1"
  echo "== e2e build: $1 done in $((SECONDS - start))s"
}
step kubernetes.sh
step component-images.sh
step addon-images.sh
step kind-base.sh
step node-image.sh
bash "$root/.ci/install.d/60-images.sh"
