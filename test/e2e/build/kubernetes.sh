#!/usr/bin/env bash
# Builds the Kubernetes server binaries from the k8s.io/kubernetes Go module (no GitHub release
# can be downloaded here) into $E2E_CACHE/kubernetes-<version>/bin. A wrapper module requires
# k8s.io/kubernetes and replaces each staging module (k8s.io/api, ...) with its v0.Y.Z release,
# because the module's own `=> ./staging/...` replaces do not apply to a dependency.
# Idempotent: binaries already built for this version are kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

version="$KUBERNETES_VERSION"
staging_version="v0${version#v1}"
out="$E2E_CACHE/kubernetes-$version"
src="$E2E_CACHE/src/kubernetes-$version"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl)

missing=()
for b in "${binaries[@]}"; do [ -x "$out/bin/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "kubernetes: $version binaries already built in $out/bin"
  exit 0
fi

mkdir -p "$src" "$out/bin"
cd "$src"
if [ ! -s go.sum ]; then
  curl -fsS "${GOPROXY_URL:-https://proxy.golang.org}/k8s.io/kubernetes/@v/$version.mod" -o upstream.mod
  {
    echo "module ci.local/kubernetes-build"
    echo
    sed -n 's/^go \(.*\)/go \1/p' upstream.mod
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$staging_version"'#p' upstream.mod
    echo ")"
  } >go.mod
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    for b in "${binaries[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$b\""; done
    echo ")"
  } >tools.go
  GOFLAGS=-mod=mod go mod tidy
fi

# The version stamps kubeadm and the kubelet compare with each other.
pkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for p in "${pkgs[@]}"; do
  ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

for b in "${missing[@]}"; do
  echo "kubernetes: building $b $version"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
  mv "$out/bin/$b.tmp" "$out/bin/$b"
done
echo "$version" >"$out/version"
echo "kubernetes: $version binaries in $out/bin"
