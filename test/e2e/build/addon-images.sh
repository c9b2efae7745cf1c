#!/usr/bin/env bash
# The CNI and storage addons of the offline kind cluster, built from Go modules instead of the
# images kind pulls (kindnetd and its CNI plugins cannot be fetched here):
#   ci.local/flannel:$FLANNEL_VERSION            flanneld + flannel/write-cni-conf.sh
#   ci.local/local-path-provisioner:$LPP_VERSION  rancher/local-path-provisioner
#   ci.local/local-path-helper:bookworm          sh, mkdir, rm for the provisioner's helper pods
# all on ci.local/debian-iptables:bookworm (debian-iptables.sh), saved to $E2E_CACHE/images/*.tar;
# and the node image's manifests $E2E_CACHE/manifests/default-{cni,storage}.yaml, derived by
# addon-manifests.ts from flannel's kube-flannel.yml and kind's const_storage.go.
# Idempotent: an image carrying the same ci.local.source-hash label is kept, a tar holding the
# same image id is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

FLANNEL_VERSION="${FLANNEL_VERSION:-v0.26.7}"
LPP_VERSION="${LPP_VERSION:-v0.0.30}"
BASE_IMAGE="${BASE_IMAGE:-ci.local/debian-iptables:bookworm}"
FLANNEL_IMAGE="ci.local/flannel:$FLANNEL_VERSION"
LPP_IMAGE="ci.local/local-path-provisioner:$LPP_VERSION"
HELPER_IMAGE="ci.local/local-path-helper:bookworm"
bin="$E2E_CACHE/addons/bin"
export DOCKER_BUILDKIT=1

module_dir() { # module@version -> its directory in the Go module cache
  (cd / && GOFLAGS=-mod=mod go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
}

# build IMAGE HASH CONTEXT: Dockerfile on stdin; the replaced image is removed when left untagged.
build() {
  local old
  old="$(docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true)"
  docker build -q --label "ci.local.source-hash=$2" -t "$1" -f - "$3" >/dev/null
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$1")" ]; then
    docker rmi "$old" >/dev/null 2>&1 || true
  fi
  echo "addon-images: built $1"
}

bash "$here/debian-iptables.sh" "$BASE_IMAGE"
base_id="$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE")"
script_hash="$(sha256sum <"$0" | cut -c1-16)"
mkdir -p "$bin" "$E2E_CACHE/images" "$E2E_CACHE/manifests"

# flanneld: CGO on amd64 as upstream's Makefile (its UDP backend is C), linked statically.
hash="$(cat "$0" "$here"/flannel/* <(echo "$base_id $FLANNEL_VERSION") | sha256sum | cut -c1-16)"
if image_built_from "$FLANNEL_IMAGE" "$hash"; then
  echo "addon-images: $FLANNEL_IMAGE already present"
else
  echo "addon-images: building flanneld $FLANNEL_VERSION"
  GOBIN="$bin" CGO_ENABLED=1 go install -trimpath -tags netgo,osusergo \
    -ldflags "-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION -extldflags -static" \
    "github.com/flannel-io/flannel@$FLANNEL_VERSION"
  context="$(mktemp -d)"
  cp "$bin/flannel" "$context/flanneld"
  cp "$here/flannel/write-cni-conf.sh" "$context/write-cni-conf"
  build "$FLANNEL_IMAGE" "$hash" "$context" <<DOCKERFILE
FROM $BASE_IMAGE
LABEL org.opencontainers.image.title="$FLANNEL_IMAGE" \
  org.opencontainers.image.description="flanneld $FLANNEL_VERSION built from github.com/flannel-io/flannel (not the upstream image)"
COPY flanneld write-cni-conf /opt/bin/
ENTRYPOINT ["/opt/bin/flanneld"]
DOCKERFILE
  rm -rf "$context"
fi

hash="$(echo "$script_hash $base_id $LPP_VERSION" | sha256sum | cut -c1-16)"
if image_built_from "$LPP_IMAGE" "$hash"; then
  echo "addon-images: $LPP_IMAGE already present"
else
  echo "addon-images: building local-path-provisioner $LPP_VERSION"
  GOBIN="$bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w -X main.VERSION=$LPP_VERSION" \
    "github.com/rancher/local-path-provisioner@$LPP_VERSION"
  context="$(mktemp -d)"
  cp "$bin/local-path-provisioner" "$context/"
  build "$LPP_IMAGE" "$hash" "$context" <<DOCKERFILE
FROM $BASE_IMAGE
LABEL org.opencontainers.image.title="$LPP_IMAGE" \
  org.opencontainers.image.description="local-path-provisioner $LPP_VERSION built from github.com/rancher/local-path-provisioner (not the upstream image)"
COPY local-path-provisioner /usr/bin/
CMD ["local-path-provisioner"]
DOCKERFILE
  rm -rf "$context"
fi

# The helper only runs the setup/teardown scripts of local-path-config: the base has all it needs.
hash="$(echo "$script_hash $base_id" | sha256sum | cut -c1-16)"
if image_built_from "$HELPER_IMAGE" "$hash"; then
  echo "addon-images: $HELPER_IMAGE already present"
else
  context="$(mktemp -d)"
  build "$HELPER_IMAGE" "$hash" "$context" <<DOCKERFILE
FROM $BASE_IMAGE
LABEL org.opencontainers.image.title="$HELPER_IMAGE" \
  org.opencontainers.image.description="helper pod image of local-path-provisioner (sh, mkdir, rm)"
DOCKERFILE
  rm -rf "$context"
fi

# A tar is rewritten only when it holds another image: its manifest names the config by image id
# (<id>.json from Docker 20.10, blobs/sha256/<id> in the OCI layout of later versions).
tar_config='.[0].Config | ltrimstr("blobs/sha256/") | rtrimstr(".json")'
for image in "$FLANNEL_IMAGE" "$LPP_IMAGE" "$HELPER_IMAGE"; do
  name="${image#ci.local/}" && tar="$E2E_CACHE/images/${name%%:*}.tar"
  id="$(docker image inspect --format '{{.Id}}' "$image")"
  if [ "$(tar -xOf "$tar" manifest.json 2>/dev/null | jq -r "$tar_config")" = "${id#sha256:}" ]; then
    echo "addon-images: $tar up to date"
  else
    docker save -o "$tar.tmp" "$image" && mv "$tar.tmp" "$tar"
    echo "addon-images: saved $image to $tar"
  fi
done

manifests="$E2E_CACHE/manifests"
manifest() { # name generator-args...: written whole, then renamed
  (cd "$root" && node --import tsx test/e2e/build/addon-manifests.ts "${@:2}") >"$manifests/.$1.tmp"
  mv "$manifests/.$1.tmp" "$manifests/$1"
  echo "addon-images: wrote $manifests/$1"
}
flannel_src="$(module_dir "github.com/flannel-io/flannel@$FLANNEL_VERSION")"
kind_src="$(module_dir "sigs.k8s.io/kind@$KIND_VERSION")"
manifest default-cni.yaml flannel "$flannel_src/Documentation/kube-flannel.yml" "$FLANNEL_IMAGE"
manifest default-storage.yaml storage "$kind_src/pkg/build/nodeimage/const_storage.go" "$LPP_IMAGE" "$HELPER_IMAGE"
