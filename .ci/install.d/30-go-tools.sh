#!/usr/bin/env bash
# helm, kind and kubeconform built from the Go module proxy at pinned versions.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
install_go_tool() { # name module version
  local name=$1 module=$2 version=$3 stamp="$CI_CACHE/go-tools/$1@$3"
  if [ -x "$GOPATH/bin/$name" ] && [ -f "$stamp" ]; then echo "go: $name $version present"; return; fi
  echo "go: building $name $version"
  go install "$module@$version"
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
}
install_go_tool helm helm.sh/helm/v3/cmd/helm v3.19.0
install_go_tool kind sigs.k8s.io/kind v0.30.0
install_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform v0.7.0
