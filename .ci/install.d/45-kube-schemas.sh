#!/usr/bin/env bash
# Kubernetes JSON schemas for kubeconform, made offline from the pinned Kubernetes release's
# OpenAPI spec (k8s.io/kubernetes Go module, api/openapi-spec/swagger.json). Tests point
# kubeconform at $CI_CACHE/kube-schemas/<version>; nothing is fetched at test time.
set -euo pipefail
# shellcheck source=/dev/null
source "$(dirname "$0")/../env.sh"
version="${KUBE_SCHEMA_VERSION:-v1.32.13}"
out="$CI_CACHE/kube-schemas/$version"
if [ -f "$out/.done" ]; then echo "kube-schemas: $version present"; exit 0; fi
echo "kube-schemas: generating $version"
dir=$(cd / && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$version" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
rm -rf "$out"
python3 "$(dirname "$0")/../../test/helm/openapi2jsonschema.py" "$dir/api/openapi-spec/swagger.json" "$out"
touch "$out/.done"
