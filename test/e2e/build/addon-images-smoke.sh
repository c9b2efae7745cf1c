#!/usr/bin/env bash
# What can be proven of addon-images.sh before a cluster exists:
#   - the binaries run in their images, the helper image runs the provisioner's setup/teardown;
#   - both manifests (the CNI one rendered as kind does) pass kubeconform -strict offline, for
#     Kubernetes 1.32.13 and $KUBERNETES_VERSION, and say what we mean (host-gw, taints, no pulls);
#   - every image they name exists locally and is in a tar of $E2E_CACHE/images;
#   - write-cni-conf turns a subnet.env into the expected conflist, in the flannel image;
#   - that conflist works: libcni (cnitool, the CNI library version of Debian's containerd 1.6)
#     runs the node image's plugins in a privileged kind-base container, gives two network
#     namespaces addresses in the subnet, and they reach each other, and a hostPort reaches one.
# Not provable here: flanneld leasing subnets from the API server and the host-gw routes between
# nodes, kubelet/containerd picking the conflist up, Services through kube-proxy, PVC binding.
# shellcheck disable=SC2016 # the sh -c and bash -c scripts below expand in their containers
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

KIND_BASE_IMAGE="${KIND_BASE_IMAGE:-ci.local/kind-base:${KIND_VERSION}-bookworm}"
CNITOOL_VERSION=v1.1.2
cni="$E2E_CACHE/manifests/default-cni.yaml"
storage="$E2E_CACHE/manifests/default-storage.yaml"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() { # description command...
  local what="$1"
  shift
  if "$@" >"$tmp/out" 2>&1; then ok "$what"; else fail "$what"; sed 's/^/     /' "$tmp/out"; fi
}

# kind renders the CNI manifest as a Go template with the pod subnet (10.244.0.0/16 by default).
check "default-cni.yaml asks kind to template it" grep -q 'would you kindly template this file' "$cni"
sed 's#{{ .PodSubnet }}#10.244.0.0/16#g' "$cni" >"$tmp/default-cni.yaml"
check "default-cni.yaml has no Go template action besides {{ .PodSubnet }}" \
  sh -c '! grep -n "{{" "$1"' _ "$tmp/default-cni.yaml"

for version in $(printf '%s\n' v1.32.13 "$KUBERNETES_VERSION" | sort -u); do
  schemas="$CI_CACHE/kube-schemas/$version"
  [ -f "$schemas/.done" ] || KUBE_SCHEMA_VERSION="$version" bash "$root/.ci/install.d/45-kube-schemas.sh" >/dev/null
  for m in "$tmp/default-cni.yaml" "$storage"; do
    check "kubeconform -strict $version $(basename "$m")" kubeconform -strict -summary \
      -kubernetes-version "${version#v}" -schema-location "$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$m"
  done
done

# yq runs jq over each document; -s makes the file one array so -e sees one answer.
doc() { yq -s -e "any(.[]; $1)" "$2"; }
ds='.kind == "DaemonSet" and (.spec.template.spec'
check "flannel DaemonSet tolerates every NoSchedule taint (control plane included)" doc \
  "$ds | any(.tolerations[]; .operator == \"Exists\" and .key == null and .effect == \"NoSchedule\"))" "$tmp/default-cni.yaml"
check "flannel DaemonSet has no init containers, runs kube-flannel and install-cni" doc \
  "$ds | .initContainers == null and [.containers[].name] == [\"kube-flannel\", \"install-cni\"])" "$tmp/default-cni.yaml"
check "net-conf.json: Network 10.244.0.0/16, backend host-gw" doc '.kind == "ConfigMap" and
  (.data["net-conf.json"] | fromjson | .Network == "10.244.0.0/16" and .Backend.Type == "host-gw")' "$tmp/default-cni.yaml"
check "StorageClass standard is the default, provisioner rancher.io/local-path" doc '.kind == "StorageClass" and
  .metadata.name == "standard" and .provisioner == "rancher.io/local-path" and
  .metadata.annotations["storageclass.kubernetes.io/is-default-class"] == "true"' "$storage"

# Images: containers, the image in the helperPod.yaml string and the --helper-image argument.
helper="$(grep -A1 -- '- --helper-image$' "$storage" | sed -nE '2s/^\s*- (\S+)$/\1/p')"
images="$( (grep -hoE 'image: \S+' "$cni" "$storage" | cut -d' ' -f2 && echo "$helper") | sort -u)"
for tar in "$E2E_CACHE"/images/*.tar; do
  tar -xOf "$tar" manifest.json | jq -r --arg tar "$tar" \
    '.[] | (.Config | ltrimstr("blobs/sha256/") | rtrimstr(".json")) as $c | .RepoTags[] | "\(.) \($c) \($tar)"'
done >"$tmp/tars"
for image in $images; do
  id="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null)" || { fail "$image is not a local image"; continue; }
  [[ "$image" == ci.local/* ]] || fail "$image is not a ci.local/ image"
  tar="$(awk -v i="$image" -v c="${id#sha256:}" '$1 == i && $2 == c { print $3 }' "$tmp/tars")"
  if [ -n "$tar" ]; then ok "$image is local and saved in $(basename "$tar")"; else fail "$image: no tar holds image $id"; fi
done

flannel="$(yq -r 'select(.kind == "DaemonSet") | .spec.template.spec.containers[0].image' "$tmp/default-cni.yaml")"
provisioner="$(yq -r 'select(.kind == "Deployment") | .spec.template.spec.containers[0].image' "$storage")"
check "flanneld --version is ${flannel##*:}" sh -c '[ "$(docker run --rm "$1" --version 2>&1)" = "$2" ]' _ "$flannel" "${flannel##*:}"
check "local-path-provisioner --version is ${provisioner##*:}" sh -c \
  'docker run --rm "$1" local-path-provisioner --version | grep -qx "local-path-provisioner version $2"' _ "$provisioner" "${provisioner##*:}"
# The manifests' commands parse in the images and stop only for want of an API server.
flanneld_cmd="$(yq -r 'select(.kind == "DaemonSet") | .spec.template.spec.containers[0] | .command + .args | @sh' "$tmp/default-cni.yaml")"
check "flannel image runs the DaemonSet command up to the missing API server" sh -c \
  'docker run --rm --entrypoint sh "$1" -c "$2" 2>&1 | grep -q "Failed to create SubnetManager: fail to create kubernetes config"' \
  _ "$flannel" "$flanneld_cmd"
provisioner_cmd="$(yq -r 'select(.kind == "Deployment") | .spec.template.spec.containers[0].command | @sh' "$storage")"
check "provisioner image runs the Deployment command up to the missing API server" sh -c \
  'docker run --rm "$1" sh -c "$2" 2>&1 | grep -q "Error starting daemon: unable to get client config"' \
  _ "$provisioner" "$provisioner_cmd"
# The helper pod runs `sh /script/setup` and `sh /script/teardown` from local-path-config.
yq -r 'select(.kind == "ConfigMap") | .data.setup' "$storage" >"$tmp/setup"
yq -r 'select(.kind == "ConfigMap") | .data.teardown' "$storage" >"$tmp/teardown"
check "helper image runs the setup and teardown scripts" docker run --rm -v "$tmp:/script:ro" \
  -e VOL_DIR=/var/local-path-provisioner/pvc-1 "$helper" \
  sh -c 'sh /script/setup && [ "$(stat -c %a "$VOL_DIR")" = 777 ] && sh /script/teardown && [ ! -e "$VOL_DIR" ]'

# A subnet.env as flanneld writes it (first address of the lease, MTU, whether it masquerades).
mkdir -p "$tmp/run" "$tmp/net.d" "$tmp/net.d-nomasq"
printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' \
  >"$tmp/run/subnet.env"
sed 's/IPMASQ=true/IPMASQ=false/' "$tmp/run/subnet.env" >"$tmp/run/nomasq.env"
check "write-cni-conf writes the conflist in the flannel image" docker run --rm --entrypoint sh \
  -v "$tmp/run:/run/flannel:ro" -v "$tmp/net.d:/etc/cni/net.d" -v "$tmp/net.d-nomasq:/nomasq" "$flannel" -c \
  '/opt/bin/write-cni-conf --once && SUBNET_ENV=/run/flannel/nomasq.env CNI_CONF=/nomasq/10-flannel.conflist /opt/bin/write-cni-conf --once'
conf="$tmp/net.d/10-flannel.conflist"
check "conflist: bridge cni0 on 10.244.1.0/24, route to 10.244.0.0/16, MTU 1450, no ipMasq, portmap" jq -e '
  .name == "cbr0" and ([.plugins[].type] == ["bridge", "portmap"]) and (.plugins[0] |
    .bridge == "cni0" and .isDefaultGateway and .hairpinMode and .ipMasq == false and .mtu == 1450 and
    .ipam.ranges == [[{subnet: "10.244.1.0/24"}]] and .ipam.routes == [{dst: "10.244.0.0/16"}])' "$conf"
check "conflist: ipMasq when flanneld does not masquerade" jq -e '.plugins[0].ipMasq == true' \
  "$tmp/net.d-nomasq/10-flannel.conflist"

if ! docker image inspect "$KIND_BASE_IMAGE" >/dev/null 2>&1; then
  fail "$KIND_BASE_IMAGE missing (test/e2e/build/kind-base.sh): the conflist was not run"
else
  # kind runs its nodes --privileged; on this machine that takes the ci-runc runtime (test/e2e/host).
  runtime=()
  docker info --format '{{json .Runtimes}}' | jq -e 'has("ci-runc")' >/dev/null && runtime=(--runtime ci-runc)
  GOBIN="$E2E_CACHE/addons/bin" CGO_ENABLED=0 go install "github.com/containernetworking/cni/cnitool@$CNITOOL_VERSION"
  # Pods a and b (b with hostPort 18080 -> 8080, serving HTTP): a reaches b by pod IP, the node
  # and pod a reach b through the hostPort; DEL gives the addresses back and removes the DNAT.
  check "the conflist with the node's CNI plugins: two pods on cni0 reach each other and a hostPort" \
    docker run -i --rm --privileged "${runtime[@]}" --entrypoint bash -v "$tmp/net.d:/etc/cni/net.d:ro" \
    -v "$E2E_CACHE/addons/bin/cnitool:/usr/local/bin/cnitool:ro" "$KIND_BASE_IMAGE" -eux <<'IN_NODE'
export CNI_PATH=/opt/cni/bin
ports='{"portMappings":[{"hostPort":18080,"containerPort":8080,"protocol":"tcp"}]}'
ip netns add a && ip netns add b
cnitool add cbr0 /run/netns/a >a.json
CAP_ARGS="$ports" cnitool add cbr0 /run/netns/b >b.json
ip -4 -o addr show cni0 | grep -q "inet 10.244.1.1/24"
b=$(jq -r '.ips[0].address' b.json) && b=${b%/*} && [[ $b == 10.244.1.* ]]
node=$(ip -4 -o addr show eth0 | awk '{print $4}') && node=${node%/*}
ip netns exec a ip route | grep -q '^default via 10.244.1.1'
ip netns exec a ip route | grep -q '^10.244.0.0/16 via 10.244.1.1'
ip netns exec a ip link show eth0 | grep -q 'mtu 1450'
ip netns exec b python3 -m http.server 8080 >/dev/null 2>&1 &
get='import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)'
for _ in $(seq 50); do ip netns exec a python3 -c "$get" "http://$b:8080/" && break; sleep 0.2; done
ip netns exec a python3 -c "$get" "http://$b:8080/"
python3 -c "$get" "http://$node:18080/"
ip netns exec a python3 -c "$get" "http://$node:18080/"
kill %1
cnitool del cbr0 /run/netns/a && CAP_ARGS="$ports" cnitool del cbr0 /run/netns/b
[ -z "$(ls /var/lib/cni/networks/cbr0 | grep '^10\.')" ]
[ -z "$(iptables-save -t nat | grep 18080)" ]
IN_NODE
fi

if [ "$failures" -gt 0 ]; then echo "addon-images-smoke: $failures check(s) failed"; exit 1; fi
echo "addon-images-smoke: all checks passed"
