#!/usr/bin/env bash
# Kubernetes JSON schemas for kubeconform, made offline: the pinned Kubernetes release's OpenAPI
# spec (k8s.io/kubernetes Go module, api/openapi-spec/swagger.json) plus the CRDs the chart
# renders (cert-manager Certificate/Issuer, Prometheus Operator ServiceMonitor/PodMonitor/
# PrometheusRule) from their Go modules. Tests point kubeconform at $CI_CACHE/kube-schemas/<version>;
# nothing is fetched at test time. Needs go, python3 and the npm packages (40-node.sh).
set -euo pipefail
# shellcheck source=/dev/null
source "$(dirname "$0")/../env.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="${KUBE_SCHEMA_VERSION:-v1.32.13}"
cert_manager=v1.18.2
prometheus_operator=v0.85.0
stamp="kubernetes@$version cert-manager@$cert_manager prometheus-operator@$prometheus_operator"
out="$CI_CACHE/kube-schemas/$version"
if [ "$(cat "$out/.done" 2>/dev/null)" = "$stamp" ]; then echo "kube-schemas: $stamp present"; exit 0; fi
echo "kube-schemas: generating $stamp"
module_dir() { # module@version -> extracted directory in the Go module cache
  (cd / && GOFLAGS=-mod=mod go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
}
k8s=$(module_dir "k8s.io/kubernetes@$version")
cm=$(module_dir "github.com/cert-manager/cert-manager@$cert_manager")
po=$(module_dir "github.com/prometheus-operator/prometheus-operator@$prometheus_operator")
rm -rf "$out"
python3 "$root/test/helm/openapi2jsonschema.py" "$k8s/api/openapi-spec/swagger.json" "$out"
crds="$po/example/prometheus-operator-crd"
(cd "$root" && node --import tsx test/helm/crd2jsonschema.ts "$out" \
  "$cm/deploy/crds/crd-certificates.yaml" "$cm/deploy/crds/crd-issuers.yaml" \
  "$crds/monitoring.coreos.com_servicemonitors.yaml" "$crds/monitoring.coreos.com_podmonitors.yaml" \
  "$crds/monitoring.coreos.com_prometheusrules.yaml")
echo "$stamp" >"$out/.done"
