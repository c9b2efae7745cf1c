#!/usr/bin/env bash
# Runs task e2e:kind from .ci/run when it fits: always when its build cache is warm (minutes),
# from a cold cache only when the time left in CI's budget covers the cold build. Always says
# whether it ran and why. Env: CI_BUDGET_SECONDS (1800), CI_STARTED_AT (epoch seconds of the
# start of .ci/run), E2E_KIND=always|never|auto (auto).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=.ci/env.sh
source .ci/env.sh
# shellcheck source=test/e2e/versions.env
source test/e2e/versions.env

mode="${E2E_KIND:-auto}"
budget="${CI_BUDGET_SECONDS:-1800}"
elapsed=$(($(date +%s) - ${CI_STARTED_AT:-$(date +%s)}))
left=$((budget - elapsed))
# Measured here on 2 cores: a warm-cache run took 600 s; the cold build about 55 minutes more
# (Kubernetes binaries ~30 min, component and addon images ~20, kind base ~5, node image ~1).
warm_cost=660 cold_cost=3300
node_image="ci.local/kind-node:$KUBERNETES_VERSION"

if docker image inspect "$node_image" >/dev/null 2>&1; then
  cache="warm ($node_image present)" cost=$warm_cost
else
  cache="cold ($node_image absent)" cost=$((warm_cost + cold_cost))
fi
case "$mode" in
  never) echo "==> ci: e2e:kind NOT run (E2E_KIND=never)"; exit 0 ;;
  always) reason="E2E_KIND=always" ;;
  auto)
    if [ "$cost" -gt "$left" ]; then
      echo "==> ci: e2e:kind NOT run: build cache $cache, needs ~${cost}s, ${left}s of the ${budget}s budget left. Run it with: task e2e:kind (or E2E_KIND=always)"
      exit 0
    fi
    reason="cache $cache, ~${cost}s needed, ${left}s left" ;;
  *) echo "E2E_KIND must be always, never or auto, got '$mode'" >&2; exit 2 ;;
esac
echo "==> ci: e2e:kind runs ($reason)"
task e2e:kind
