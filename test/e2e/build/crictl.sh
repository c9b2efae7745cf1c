#!/usr/bin/env bash
# Builds crictl/ (a minimal crictl: `inspecti` and `images`, the commands kind runs in a node,
# on k8s.io/cri-client, since sigs.k8s.io/cri-tools is not on the module proxy) as a static
# binary. kind-base.sh installs it as /usr/local/bin/crictl in ci.local/kind-base.
# Usage: crictl.sh [output]   (default: $E2E_CACHE/bin/crictl)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

out="${1:-$E2E_CACHE/bin/crictl}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/${out##*/}"
(cd "$here/crictl" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out" .)
echo "crictl: built $out"
