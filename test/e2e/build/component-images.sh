#!/usr/bin/env bash
# Builds every image kubeadm pulls (control plane, kube-proxy, pause, etcd, CoreDNS) from source,
# named as kubeadm expects with `imageRepository: $E2E_REGISTRY`, and saves each as
# $E2E_CACHE/images/<name>.tar for the node image. Versions come from the kubeadm constants of
# the Kubernetes module that kubernetes.sh built from; run that first.
# Idempotent: binaries are kept per version under $E2E_CACHE, an image is kept while its
# source-hash label matches, and a tar is rewritten only when it holds another image.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"
export DOCKER_BUILDKIT=1 CGO_ENABLED=0

k8s="$KUBERNETES_VERSION"
kbin="$E2E_CACHE/kubernetes-$k8s/bin"
module="$(go env GOMODCACHE)/k8s.io/kubernetes@$k8s"
[ -d "$module" ] || go mod download "k8s.io/kubernetes@$k8s"
constant() { sed -n "s/^\s*$1 = \"\(.*\)\"$/\1/p" "$module/cmd/kubeadm/app/constants/constants.go"; }
etcd_tag="$(constant DefaultEtcdVersion)"     # 3.5.24-0
etcd_version="v${etcd_tag%-*}"
coredns_version="$(constant CoreDNSVersion)"  # also the image tag
pause_tag="$(constant PauseVersion)"
pause_version="$(sed -n 's/^TAG ?= //p' "$module/build/pause/Makefile")"
# etcdctl needs etcdutl (offline snapshot/defrag/backup), whose v3.5.24 checksum the sumdb
# reachable here does not serve; v3.5.21 it does.
ETCDUTL_VERSION="${ETCDUTL_VERSION:-v3.5.21}"
BASE=ci.local/debian-iptables:bookworm
PATH_ENV="ENV PATH=/usr/local/bin:/usr/bin:/bin"
mkdir -p "$E2E_CACHE/images"


save() {
  local ref="$1" tar="$E2E_CACHE/images/$2.tar" id
  id="$(docker image inspect --format '{{.Id}}' "$ref")"
  if ! tar -xOf "$tar" manifest.json 2>/dev/null | grep -q "${id#sha256:}"; then
    docker save -o "$tar.tmp" "$ref" && mv "$tar.tmp" "$tar"
  fi
  echo "images: $ref in $tar"
}

# image <ref> <tar name> <context> <file>...: builds <ref> from the Dockerfile on stdin and the
# listed files of <context>, hashed together into the label; then saves it.
image() {
  local ref="$1" name="$2" context="$3" dockerfile hash
  shift 3
  dockerfile="$(cat)"
  hash="$({ echo "$dockerfile"; (cd "$context" && sha256sum "$@"); } | sha256sum | cut -c1-16)"
  if ! image_built_from "$ref" "$hash"; then
    docker build -q --label "ci.local.source-hash=$hash" -t "$ref" -f - "$context" <<<"$dockerfile" >/dev/null
    echo "images: built $ref"
  fi
  save "$ref" "$name"
}

"$here/debian-iptables.sh" "$BASE"
base_id="$(docker image inspect --format '{{.Id}}' "$BASE")"

# pause: the static C binary, built like build/pause/Makefile does.
out="$E2E_CACHE/pause-$pause_version"
if [ ! -x "$out/pause" ]; then
  mkdir -p "$out"
  gcc -Os -Wall -Werror -static -DVERSION="v$pause_version-$k8s" -o "$out/pause.tmp" "$module/build/pause/linux/pause.c"
  strip "$out/pause.tmp" && mv "$out/pause.tmp" "$out/pause"
fi
image "$E2E_REGISTRY/pause:$pause_tag" pause "$out" pause <<EOF
FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]
EOF

# etcd: v3.5 has no root main module on the proxy; server/v3 and etcdctl/v3 are main packages.
src="$E2E_CACHE/src/etcd-$etcd_version"
out="$E2E_CACHE/etcd-$etcd_version/bin"
if [ ! -x "$out/etcd" ] || [ ! -x "$out/etcdctl" ]; then
  mkdir -p "$src" "$out"
  if [ ! -s "$src/go.sum" ]; then
    printf 'module ci.local/etcd-build\n\ngo 1.24\n\nrequire (\n\tgo.etcd.io/etcd/server/v3 %s\n\tgo.etcd.io/etcd/etcdctl/v3 %s\n)\n\nreplace go.etcd.io/etcd/etcdutl/v3 => go.etcd.io/etcd/etcdutl/v3 %s\n' \
      "$etcd_version" "$etcd_version" "$ETCDUTL_VERSION" >"$src/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.etcd.io/etcd/etcdctl/v3"\n\t_ "go.etcd.io/etcd/server/v3"\n)\n' >"$src/tools.go"
    (cd "$src" && go mod tidy)
  fi
  echo "images: building etcd $etcd_version"
  ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version"
  (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$out/etcd" go.etcd.io/etcd/server/v3 &&
    go build -trimpath -ldflags "$ldflags" -o "$out/etcdctl" go.etcd.io/etcd/etcdctl/v3)
fi
image "$E2E_REGISTRY/etcd:$etcd_tag" etcd "$out" etcd etcdctl <<EOF
FROM scratch
COPY etcd etcdctl /usr/local/bin/
$PATH_ENV
EOF

# coredns: runs as non-root like upstream (kubeadm drops ALL capabilities but adds
# NET_BIND_SERVICE), so the binary carries the file capability for port 53. BuildKit's COPY
# drops xattrs, hence docker import of a tar made with --xattrs.
out="$E2E_CACHE/coredns-$coredns_version"
if [ ! -x "$out/bin/coredns" ]; then
  echo "images: building coredns $coredns_version"
  GOBIN="$out/bin" go install -trimpath \
    -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$coredns_version" \
    "github.com/coredns/coredns@$coredns_version"
fi
ref="$E2E_REGISTRY/coredns:$coredns_version"
hash="$( (cat "$0"; echo "$base_id"; sha256sum "$out/bin/coredns") | sha256sum | cut -c1-16)"
if ! image_built_from "$ref" "$hash"; then
  root="$(mktemp -d "$out/root.XXXXXX")"
  mkdir -p "$root/etc/ssl/certs"
  cp "$out/bin/coredns" "$root/coredns"
  setcap cap_net_bind_service=+ep "$root/coredns"
  docker run --rm "$BASE" cat /etc/ssl/certs/ca-certificates.crt >"$root/etc/ssl/certs/ca-certificates.crt"
  tar --xattrs --xattrs-include=security.capability -C "$root" -c . |
    docker import --change 'USER 65532:65532' --change 'EXPOSE 53 53/udp' \
      --change 'ENTRYPOINT ["/coredns"]' --change "LABEL ci.local.source-hash=$hash" - "$ref" >/dev/null
  rm -rf "$root"
  echo "images: built $ref"
fi
save "$ref" coredns

# Kubernetes: kubeadm's static pods and kube-proxy DaemonSet run the bare command name.
for b in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  [ -x "$kbin/$b" ] || { echo "images: $kbin/$b missing, run test/e2e/build/kubernetes.sh" >&2; exit 1; }
done
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  image "$E2E_REGISTRY/$b:$k8s" "$b" "$kbin" "$b" <<EOF
FROM scratch
COPY $b /usr/local/bin/$b
$PATH_ENV
EOF
done
# kube-proxy in iptables mode runs iptables-restore and conntrack; the base picks the backend.
image "$E2E_REGISTRY/kube-proxy:$k8s" kube-proxy "$kbin" kube-proxy <<EOF
FROM $BASE
LABEL ci.local.base=$base_id
COPY kube-proxy /usr/local/bin/kube-proxy
EOF
