#!/usr/bin/env bash
# Assembles the kind node image ci.local/kind-node:$KUBERNETES_VERSION the way `kind build
# node-image` does (kind v0.30.0 pkg/build/nodeimage/buildcontext.go buildImage()), from what
# this machine can build instead of what kind downloads:
#   base      ci.local/kind-base:$KIND_VERSION-bookworm                    (kind-base.sh)
#   binaries  $E2E_CACHE/kubernetes-$KUBERNETES_VERSION/bin/{kubeadm,kubelet,kubectl}
#   images    $E2E_CACHE/images/*.tar (docker-archive tars: control plane, pause, etcd,
#             coredns, kube-proxy, CNI and storage addons), imported into containerd's k8s.io
#             namespace unpulled and unpacked later by the CRI, as kind does
#   manifests $E2E_CACHE/manifests/{default-cni,default-storage}.yaml -> /kind/manifests/
# Steps as in kind: a build container from the base (entrypoint sleep), copy the binaries to
# /usr/bin, write /kind/version and the manifests, start containerd in it, `ctr images import`
# every tar, stop containerd, `docker commit` with the node entrypoint back. Where kind pulls an
# image that was not built, this fails instead (nothing can be pulled here) and lists it.
# Differences: containerd 1.6's `ctr images import` has no --label, so the pinned label
# (io.cri-containerd.pinned=pinned) is set with `ctr images label` after the import.
# Idempotent: skipped when the image carries the same ci.local.source-hash label (the hash of
# this script, the base image id and every input file).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

IMAGE="${1:-ci.local/kind-node:$KUBERNETES_VERSION}"
BASE_IMAGE="${BASE_IMAGE:-ci.local/kind-base:${KIND_VERSION}-bookworm}"
bin_dir="$E2E_CACHE/kubernetes-$KUBERNETES_VERSION/bin"
images_dir="$E2E_CACHE/images"
manifests_dir="$E2E_CACHE/manifests"
arch=amd64
binaries=(kubeadm kubelet kubectl)
manifests=(default-cni default-storage)

die() { echo "node-image: $*" >&2; exit 1; }
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || die "$BASE_IMAGE missing (test/e2e/build/kind-base.sh)"
for b in "${binaries[@]}"; do [ -x "$bin_dir/$b" ] || die "$bin_dir/$b missing (test/e2e/build/kubernetes.sh)"; done
manifest_files=()
for m in "${manifests[@]}"; do
  [ -s "$manifests_dir/$m.yaml" ] || die "$manifests_dir/$m.yaml missing"
  manifest_files+=("$manifests_dir/$m.yaml")
done
shopt -s nullglob
tars=("$images_dir"/*.tar)
shopt -u nullglob
[ ${#tars[@]} -gt 0 ] || die "no image tars in $images_dir"

source_hash="$({
  sha256sum "$here/node-image.sh"
  docker image inspect --format '{{.Id}}' "$BASE_IMAGE"
  echo "$KUBERNETES_VERSION $E2E_REGISTRY"
  for b in "${binaries[@]}"; do sha256sum "$bin_dir/$b"; done
  sha256sum "${manifest_files[@]}"
  sha256sum "${tars[@]}"
} | sed "s#  $E2E_CACHE/#  #" | sha256sum | cut -c1-16)"
if image_built_from "$IMAGE" "$source_hash"; then
  echo "node-image: $IMAGE already built (source hash $source_hash)"
  exit 0
fi
old_id="$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"

# The build container, as kind creates it: detached, sleeping forever, seccomp unconfined.
id="kind-build-$(date +%s)-$RANDOM"
trap 'docker rm -f -v "$id" >/dev/null 2>&1 || true' EXIT
echo "node-image: building $IMAGE in container $id from $BASE_IMAGE"
docker run -d --entrypoint=sleep --name="$id" --platform="linux/$arch" \
  --security-opt seccomp=unconfined "$BASE_IMAGE" infinity >/dev/null
in_node() { docker exec "$id" "$@"; }
# write_file <path in the node> < contents (kind's createFile).
write_file() { in_node mkdir -p "$(dirname "$1")" && docker exec -i "$id" cp /dev/stdin "$1"; }

for b in "${binaries[@]}"; do
  docker cp "$bin_dir/$b" "$id:/usr/bin/$b"
  in_node chmod +x "/usr/bin/$b"
  in_node chown root:root "/usr/bin/$b"
done
printf '%s' "$KUBERNETES_VERSION" | write_file /kind/version
for m in "${manifests[@]}"; do write_file "/kind/manifests/$m.yaml" <"$manifests_dir/$m.yaml"; done

# The images the node needs: kubeadm's list for this version (from $E2E_REGISTRY, the
# imageRepository the cluster config sets) with pause replaced by containerd's sandbox image,
# plus every image the CNI and storage manifests name.
sandbox="$(in_node sed -n 's/^ *sandbox_image = "\(.*\)"/\1/p' /etc/containerd/config.toml)"
[ -n "$sandbox" ] || die "no sandbox_image in the base's /etc/containerd/config.toml"
mapfile -t required < <(
  in_node kubeadm config images list --kubernetes-version "$KUBERNETES_VERSION" \
    --image-repository "$E2E_REGISTRY" | grep -v '/pause:'
  echo "$sandbox"
  sed -n 's/^[[:space:]-]*image:[[:space:]]*["'\'']\{0,1\}\([^"'\'' ]\{1,\}\).*/\1/p' "${manifest_files[@]}"
)

# containerd, started by hand as kind does, only to import into its content store.
in_node bash -c 'nohup containerd >/dev/null 2>&1 &'
in_node bash -c 'for i in {0..9}; do [ -S /run/containerd/containerd.sock ] && break; sleep 1; done; ctr version >/dev/null'
for tar in "${tars[@]}"; do
  echo "node-image: importing ${tar##*/}"
  docker exec -i "$id" ctr --namespace=k8s.io images import \
    --all-platforms --no-unpack --digests - <"$tar" >/dev/null
done
mapfile -t imported < <(in_node ctr --namespace=k8s.io images list -q)
for ref in "${imported[@]}"; do
  # kind drops an -<arch> suffix from repositories (release tarballs name kube-apiserver-amd64).
  repo="${ref%:*}" tag="${ref##*:}"
  if [[ "$ref" != *@* && "$repo" == *-"$arch" ]]; then
    in_node ctr --namespace=k8s.io images tag --force "$ref" "${repo%-"$arch"}:$tag" >/dev/null
  fi
done
mapfile -t imported < <(in_node ctr --namespace=k8s.io images list -q)
for ref in "${imported[@]}"; do
  in_node ctr --namespace=k8s.io images label "$ref" io.cri-containerd.pinned=pinned >/dev/null
done

# Every required image must be there, under the name containerd normalises it to.
normalise() {
  local ref="$1" first="${1%%/*}"
  if [[ "$ref" != */* ]]; then ref="docker.io/library/$ref"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then ref="docker.io/$ref"
  fi
  [[ "${ref##*/}" == *[:@]* ]] || ref="$ref:latest"
  echo "$ref"
}
missing=()
for image in $(printf '%s\n' "${required[@]}" | sort -u); do
  printf '%s\n' "${imported[@]}" | grep -qxF "$(normalise "$image")" || missing+=("$image")
done
# Stop containerd and wait until it has exited (it stays a zombie: `sleep` as PID 1 never reaps).
in_node pkill containerd || true
in_node bash -c 'for i in {0..20}; do ps -C containerd -o stat= | grep -qv "^Z" || exit 0; sleep 0.5; done; exit 1' ||
  die "containerd did not stop in the build container"
if [ ${#missing[@]} -gt 0 ]; then
  printf 'node-image: not in %s/*.tar (kind would pull these; nothing can be pulled here):\n' "$images_dir" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi
echo "node-image: ${#tars[@]} tars imported; every required image present: $(printf '%s\n' "${required[@]}" | sort -u | paste -sd' ')"

docker commit \
  --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' \
  --change 'ENV HTTP_PROXY="" HTTPS_PROXY="" NO_PROXY=""' \
  --change "LABEL ci.local.source-hash=$source_hash" \
  --change "LABEL org.opencontainers.image.title=ci.local/kind-node org.opencontainers.image.version=$KUBERNETES_VERSION" \
  --change "LABEL org.opencontainers.image.description=\"kind node image (Kubernetes $KUBERNETES_VERSION) on $BASE_IMAGE, not kindest/node\"" \
  "$id" "$IMAGE" >/dev/null
new_id="$(docker image inspect --format '{{.Id}}' "$IMAGE")"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then docker rmi "$old_id" >/dev/null 2>&1 || true; fi
echo "node-image: built $IMAGE"
