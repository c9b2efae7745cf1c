#!/usr/bin/env bash
# task e2e:kind: the user's main path for real, offline. Builds (or reuses from $E2E_CACHE) a kind
# node image and everything it runs, then times `task deploy --target kind --yes` from nothing
# to every pod Ready (cold) and again on the existing cluster (warm), runs the checks of
# test/e2e/kind.test.ts against the live cluster, and `task kind:down` with test/e2e/teardown.test.ts.
# Env: E2E_KEEP_CLUSTER=1 keeps the cluster (and skips the teardown checks) for debugging.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# shellcheck source=../../.ci/env.sh
source .ci/env.sh
# shellcheck source=versions.env
source test/e2e/versions.env

run_dir="$E2E_CACHE/run"
mkdir -p "$run_dir"
export KIND_CLUSTER_NAME="${KIND_CLUSTER_NAME:-shipay}"
context="kind-$KIND_CLUSTER_NAME"
version=e2e
say() { printf '\n== e2e (%4ss): %s\n' "$SECONDS" "$*"; }

say "build what the cluster runs (cached under $E2E_CACHE)"
bash test/e2e/build/all.sh
say "smoke checks of the built images (before any cluster)"
for check in component-images-smoke addon-images-smoke kind-base-smoke; do bash "test/e2e/build/$check.sh"; done
# kind runs nodes with --privileged, which Docker 20.10 cannot grant on hosts missing a
# capability (this VM); a no-op where every capability is available.
bash test/e2e/host/docker-runtime.sh --default

# Offline settings for the unchanged user path: node image, kubeadm's image repository, the
# Kafka/PostgreSQL stand-ins loaded into the nodes, and images built on the Debian stand-in.
node --import tsx test/e2e/cluster-config.ts "$E2E_REGISTRY" >"$run_dir/cluster.yaml"
export KIND_CONFIG="$run_dir/cluster.yaml"
export KIND_NODE_IMAGE="ci.local/kind-node:$KUBERNETES_VERSION"
export KIND_LOAD_IMAGES="ci.local/postgres:15-debian,ci.local/kafka:3.9.1-debian"
export HELM_VALUES="$root/test/e2e/values-offline.yaml"
export PYTHON_IMAGE="ci.local/debian-python:3.11-bookworm"
export IMAGE_REGISTRY=ci.local IMAGE_NAMESPACE=shipay-e2e DOCKER_BUILDKIT=1
if [ -z "${BUILD_CA_BUNDLE:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export BUILD_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt # pip behind this machine's TLS proxy
fi

if kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER_NAME"; then
  say "deleting cluster $KIND_CLUSTER_NAME left by an earlier run (the cold timing needs none)"
  kind delete cluster --name "$KIND_CLUSTER_NAME"
fi
docker volume ls -q >"$run_dir/volumes.before"
export E2E_VOLUMES_BEFORE="$run_dir/volumes.before"

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    kind export logs "$run_dir/logs" --name "$KIND_CLUSTER_NAME" >/dev/null 2>&1 || true
    kubectl --context "$context" get pods -A -o wide 2>/dev/null || true
    echo "e2e: FAILED (exit $status); cluster logs in $run_dir/logs" >&2
  fi
  if [ "${E2E_KEEP_CLUSTER:-0}" != 1 ] && [ "$status" -ne 0 ]; then
    kind delete cluster --name "$KIND_CLUSTER_NAME" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# Seconds from `task deploy` start until every pod of every namespace is Ready.
timed_deploy() {
  local start=$SECONDS
  task deploy -- --target kind --yes --version "$version"
  kubectl --context "$context" wait --for=condition=Ready pod --all --all-namespaces --timeout=300s >/dev/null
  deploy_seconds=$((SECONDS - start))
  say "all pods Ready ${deploy_seconds}s after task deploy started"
}

say "task deploy --target kind --yes (cold: no cluster yet)"
timed_deploy
cold=$deploy_seconds
say "task deploy --target kind --yes (warm: cluster, images and release exist)"
timed_deploy
warm=$deploy_seconds

say "checks against the live cluster"
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/e2e/kind.test.ts

if [ "${E2E_KEEP_CLUSTER:-0}" = 1 ]; then
  say "E2E_KEEP_CLUSTER=1: cluster kept (task kind:down removes it); teardown checks skipped"
else
  say "task kind:down, then nothing may be left"
  task kind:down
  node --import tsx --test --test-reporter=spec test/e2e/teardown.test.ts
fi

summary="kind e2e $(date -u +%FT%TZ): Kubernetes $KUBERNETES_VERSION, kind $KIND_VERSION, $(nproc) cores; task deploy start to all pods Ready: cold ${cold}s, warm ${warm}s; total ${SECONDS}s"
echo "$summary" | tee "$E2E_CACHE/last-run.txt"
