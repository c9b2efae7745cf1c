#!/usr/bin/env bash
# Smoke test of ci.local/kind-base (kind-base.sh): runs it the way kind v0.30.0 runs a node
# (pkg/cluster/internal/providers/docker/provision.go: commonArgs + runArgsForNode) and checks
# that systemd boots, containerd serves (CRI plugin included), runc can start a container
# under the systemd cgroup driver, the CNI plugins in /opt/cni/bin set up a pod network, and
# iptables works inside, and crictl answers what kind asks it (`kind load docker-image`: an
# image loaded as kind loads it is found with the ID Docker gives it). Prints one PASS/FAIL line
# per check; exits 1 if any failed.
# Everything it creates (container, its /var volume, network, test image) is removed on exit.
# Usage: kind-base-smoke.sh [image]   (KEEP=1 keeps the container for debugging)
# Node-side commands are single-quoted on purpose (they expand in the node); cleanup runs from a trap.
# shellcheck disable=SC2016,SC2317
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

IMAGE="${1:-ci.local/kind-base:${KIND_VERSION}-bookworm}"
name="ci-kind-base-smoke-$$"
network="ci-kind-base-smoke-$$"
test_image="ci.local/kind-base-smoke:crictl-$$"
failed=0

cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    echo "smoke: kept container $name (docker rm -f -v $name; docker network rm $network)"
    return
  fi
  docker rm -f -v "$name" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  docker rmi "$test_image" >/dev/null 2>&1 || true
}
trap cleanup EXIT

indent() { sed 's/^/      /'; }
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1"; failed=1; }
# kind runs every command in a node with `docker exec --privileged`.
node() { docker exec --privileged "$name" "$@"; }
# check <description> <command in the node...>: output shown indented on failure (VERBOSE=1: always).
check() {
  local what="$1" out; shift
  if out="$(node "$@" 2>&1)"; then
    pass "$what"; if [ -n "${VERBOSE:-}" ] && [ -n "$out" ]; then indent <<<"$out"; fi
  else
    fail "$what"; indent <<<"$out"
  fi
}

docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "smoke: $IMAGE not built (kind-base.sh)" >&2; exit 1; }

# This machine lacks CAP_SYS_RESOURCE, which Docker 20.10 asks for on --privileged: nodes need
# the ci-runc runtime (test/e2e/host/docker-runtime.sh). Use it when it is not the default.
runtime_args=()
default_runtime="$(docker info --format '{{.DefaultRuntime}}')"
if [ "$default_runtime" != ci-runc ] && docker info --format '{{json .Runtimes}}' | grep -q '"ci-runc"'; then
  runtime_args=(--runtime ci-runc)
fi
echo "smoke: runtime ${runtime_args[1]:-$default_runtime} (default: $default_runtime)"

# kind creates a user-defined network (embedded DNS, which the entrypoint rewires).
docker network create "$network" >/dev/null
# The same flags kind passes, in its order. `-v /lib/modules:...` is unconditional in kind:
# on a host without /lib/modules (modules built in) dockerd creates it empty, as with kind.
docker run --name "$name" \
  --hostname "$name" --label io.x-k8s.kind.role=control-plane \
  --privileged \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --tmpfs /tmp --tmpfs /run \
  --volume /var \
  --volume /lib/modules:/lib/modules:ro \
  -e KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER \
  --detach --tty \
  --label io.x-k8s.kind.cluster=ci-kind-base-smoke \
  --net "$network" \
  --restart=on-failure:1 \
  --init=false \
  --cgroupns=private \
  -e KUBECONFIG=/etc/kubernetes/admin.conf \
  "${runtime_args[@]}" \
  "$IMAGE" >/dev/null

# kind waits (30s) for this in the logs: on cgroup v1 it is the entrypoint's own line.
ready=""
for _ in $(seq 1 60); do
  if docker logs "$name" 2>&1 | grep -Eq 'Reached target .*Multi-User System.*|detected cgroup v1'; then ready=1; break; fi
  sleep 0.5
done
if [ -n "$ready" ]; then pass "entrypoint ran: kind's readiness line in the logs"; else fail "kind's readiness line within 30s"; fi

# Then systemd itself: running, or degraded (some unit failed; listed below).
state=""
for _ in $(seq 1 120); do
  state="$(node systemctl is-system-running 2>/dev/null || true)"
  case "$state" in running | degraded) break ;; esac
  sleep 1
done
case "$state" in
  running) pass "systemd is-system-running: running" ;;
  degraded) pass "systemd is-system-running: degraded (failed units below)"
    node systemctl --failed --no-legend --plain | indent ;;
  *) fail "systemd is-system-running: '${state:-no answer}' after 120s"
    docker logs "$name" 2>&1 | tail -40 | indent ;;
esac
echo "      entrypoint: $(docker logs "$name" 2>&1 | grep -E '^(INFO|WARN|ERROR):' | cut -c1-70 | paste -sd';' | cut -c1-400)"
check "PID 1 is systemd" sh -c '[ "$(cat /proc/1/comm)" = systemd ]'
check "systemd sees cgroup v1 (legacy) inside the node" sh -c '! [ -f /sys/fs/cgroup/cgroup.controllers ] && [ -d /sys/fs/cgroup/systemd/system.slice ]'
check "entrypoint prepared the kubelet cgroup roots (kubelet, kubelet.slice)" bash -c '
  for c in cpu memory pids systemd; do for r in kubelet kubelet.slice; do
    findmnt -n "/sys/fs/cgroup/$c/$r" >/dev/null || { echo "no /sys/fs/cgroup/$c/$r mount"; exit 1; }
  done; done'

# containerd
check "containerd.service active" systemctl is-active containerd
check "ctr version (client and server)" sh -c 'ctr version | tee /dev/stderr | grep -q "^Server:"'
check "ctr --namespace k8s.io images ls" ctr --namespace k8s.io images ls
check "CRI plugin loaded (ctr plugins ls: io.containerd.grpc.v1 cri ok)" \
  sh -c 'ctr plugins ls | grep -E "io\.containerd\.grpc\.v1 +cri +.* ok"'
check "containerd config: sandbox $E2E_REGISTRY/pause, SystemdCgroup, certs.d, /opt/cni/bin" bash -c '
  c=$(containerd config dump) || exit 1
  for want in "sandbox_image = \"$0/pause:" "SystemdCgroup = true" "config_path = \"/etc/containerd/certs.d\"" \
    "bin_dir = \"/opt/cni/bin\"" "conf_dir = \"/etc/cni/net.d\"" "snapshotter = \"overlayfs\""; do
    grep -qF "$want" <<<"$c" || { echo "missing: $want"; exit 1; }
  done; grep -F sandbox_image <<<"$c"' "$E2E_REGISTRY"
# Without CAP_SYS_RESOURCE (this machine) pods need containerd to clamp oom_score_adj.
check "restrict_oom_score_adj on exactly when CAP_SYS_RESOURCE is missing" bash -c '
  b=$(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/self/status); want=false
  [ $((0x$b >> 24 & 1)) -eq 0 ] && want=true
  containerd config dump | grep -E "^[[:space:]]*restrict_oom_score_adj = $want$"'
# runc through containerd's shim, systemd cgroup driver as the CRI uses it; the rootfs is a
# read-only bind of the node's own / (no image can be pulled here).
check "runc container via ctr (systemd cgroup driver) runs and exits 0" bash -c '
  set -e; mkdir -p /tmp/smoke-rootfs; mount -o bind,ro / /tmp/smoke-rootfs
  trap "umount /tmp/smoke-rootfs" EXIT
  ctr run --rm --runc-systemd-cgroup --cgroup system.slice:smoke:hello --rootfs \
    /tmp/smoke-rootfs smoke-hello /bin/sh -c "grep -E \"name=systemd:/system.slice/smoke-hello.scope\$\" /proc/self/cgroup && echo hello from runc"'

# crictl (the minimal one, on the CRI socket) as kind uses it: `kind load docker-image` saves the
# image with docker, imports it with ctr into k8s.io (nodeutils.LoadImageArchive), and the next
# load skips a node where `crictl inspecti IMAGE` gives the Docker image ID (nodeutils.ImageID)
# and `crictl inspecti ID` lists the tag (nodeutils.ImageTags). The test image is one small file.
mkdir -p "$E2E_CACHE/tmp" && layer="$(mktemp -d "$E2E_CACHE/tmp/crictl-smoke.XXXXXX")"
echo "$test_image" >"$layer/hello"
tar -C "$layer" -c hello | docker import -c 'CMD ["/hello"]' - "$test_image" >/dev/null
rm -rf "$layer"
test_id="$(docker image inspect --format '{{.Id}}' "$test_image")"
if docker save "$test_image" | docker exec --privileged -i "$name" \
  ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs - >/dev/null; then
  pass "image imported as kind loads it (docker save | ctr -n k8s.io images import)"
else
  fail "docker save $test_image | ctr -n k8s.io images import"
fi
check "crictl images lists it (IMAGE TAG IMAGE ID SIZE)" bash -c '
  out=$(crictl images) || exit 1; echo "$out"
  head -1 <<<"$out" | grep -Eq "^IMAGE +TAG +IMAGE ID +SIZE$" &&
    grep -Eq "^${0%:*} +${0##*:} +${1:7:13} +[0-9.]+[kMG]?B$" <<<"$out"' "$test_image" "$test_id"
check "crictl inspecti IMAGE: status.id is the Docker ID, status.repoTags has the tag (kind's ImageID)" bash -c '
  out=$(crictl inspecti "$0") || exit 1
  jq -c "{id: .status.id, repoTags: .status.repoTags, repoDigests: .status.repoDigests, size: .status.size}" <<<"$out"
  jq -e --arg id "$1" --arg tag "$0" \
    ".status.id == \$id and (.status.repoTags | index(\$tag)) and (.status.size | tonumber > 0)" <<<"$out" >/dev/null' \
  "$test_image" "$test_id"
check "crictl inspecti ID lists the tag (kind's ImageTags)" bash -c '
  crictl inspecti "$1" | jq -e --arg tag "$0" ".status.repoTags | index(\$tag)"' "$test_image" "$test_id"
check "crictl inspecti of a missing image exits non-zero (no such image)" bash -c '
  ! out=$(crictl inspecti ci.local/not-loaded:none 2>&1) && echo "$out" && grep -q "no such image" <<<"$out"'
check "crictl: unknown command exits 1 with the usage" bash -c '
  out=$(crictl ps 2>&1); rc=$?; echo "exit $rc"; [ "$rc" = 1 ] && grep -q "^Usage:" <<<"$out"'

# CNI plugins where kind's CNI expects them, driven like containerd would: ptp + host-local
# into a fresh network namespace, with ipMasq (iptables rules), then torn down.
check "CNI plugins in /opt/cni/bin (host-local loopback ptp portmap bridge)" \
  sh -c 'for p in host-local loopback ptp portmap bridge; do [ -x /opt/cni/bin/$p ] || { echo "missing $p"; exit 1; }; done; ls /opt/cni/bin | paste -sd" "'
check "CNI ptp + host-local ADD/DEL in a netns (ipMasq via iptables)" bash -c '
  set -e; ip netns add smoke; trap "ip netns del smoke" EXIT
  conf="{\"cniVersion\":\"0.4.0\",\"name\":\"smoke\",\"type\":\"ptp\",\"ipMasq\":true,\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.250.0.0/24\"}}"
  export CNI_CONTAINERID=smoke CNI_NETNS=/var/run/netns/smoke CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin
  CNI_COMMAND=ADD /opt/cni/bin/ptp <<<"$conf" | grep -q "10.250.0."
  ip netns exec smoke ip -4 addr show eth0 | grep -q "inet 10.250.0."
  iptables -t nat -S POSTROUTING | grep -q "CNI-"
  CNI_COMMAND=DEL /opt/cni/bin/ptp <<<"$conf"'

# iptables: the entrypoint picked the mode with more rules (the host and dockerd use nf_tables).
check "iptables mode selected by the entrypoint (nft, like the host) matches update-alternatives" bash -c '
  iptables --version; update-alternatives --query iptables | grep "^Value:"
  iptables --version | grep -q nf_tables && update-alternatives --query iptables | grep -q "^Value: /usr/sbin/iptables-nft$"'
check "iptables works (docker DNS rules visible, add/delete a chain)" bash -c '
  set -e; iptables -t nat -S | grep -q DOCKER_OUTPUT
  iptables -N SMOKE-TEST; iptables -A SMOKE-TEST -j RETURN; iptables -F SMOKE-TEST; iptables -X SMOKE-TEST
  ip6tables -S >/dev/null'
check "conntrack, ebtables, ethtool, socat, nft, pigz present" \
  sh -c 'for b in conntrack ebtables ethtool socat nft pigz mount kmod ip findmnt jq; do command -v $b >/dev/null || { echo "missing $b"; exit 1; }; done'
check "kubelet.service enabled (waits for kubelet's config; no kubelet binary in the base)" \
  sh -c '[ "$(systemctl is-enabled kubelet.service)" = enabled ]'

# Stop as kind/docker do (STOPSIGNAL SIGRTMIN+3): systemd must shut down, not re-exec.
start=$(date +%s)
docker stop -t 30 "$name" >/dev/null
took=$(( $(date +%s) - start ))
if [ "$took" -lt 30 ]; then pass "docker stop: systemd halted on SIGRTMIN+3 in ${took}s"; else fail "docker stop needed the 30s timeout"; fi

# kind nodes survive a restart (host or dockerd reboot): the entrypoint runs again on the same /var.
docker start "$name" >/dev/null
state=""
for _ in $(seq 1 60); do
  state="$(node systemctl is-system-running 2>/dev/null || true)"
  case "$state" in running | degraded) break ;; esac
  sleep 1
done
case "$state" in
  running | degraded) pass "docker start again: systemd $state, containerd $(node systemctl is-active containerd || true)" ;;
  *) fail "docker start again: systemd '${state:-no answer}'"; docker logs "$name" 2>&1 | tail -20 | indent ;;
esac

if [ "$failed" = 0 ]; then echo "smoke: all checks passed ($IMAGE)"; else echo "smoke: FAILED ($IMAGE)"; fi
exit "$failed"
