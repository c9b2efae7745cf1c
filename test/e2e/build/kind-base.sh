#!/usr/bin/env bash
# Builds ci.local/kind-base:<kind version>-bookworm, an equivalent of kind's base image
# (kindest/base, which cannot be pulled here) made from Debian bookworm packages:
#   1. debootstrap bookworm on the host (deb.debian.org is reachable; `docker build` is not
#      needed for the network at all) with systemd, containerd, runc, the CNI plugins and the
#      tools kind's base installs, upgraded from bookworm-updates/-security. The rootfs tarball
#      is cached in $E2E_CACHE/kind-base/, keyed by the package list and kind version, and
#      imported as ci.local/kind-base-rootfs:<key>.
#   2. kind-base.Dockerfile on top of it, with kind's images/base/files copied from the kind
#      module AT BUILD TIME (never vendored here), mirroring kind's Dockerfile steps.
# Differences from kind's image (Debian instead of kind's own builds):
#   - containerd 1.6 / runc 1.1 from Debian (kind: containerd 2.1, runc 1.3) in /usr/bin and
#     /usr/sbin: containerd.service's ExecStart is pointed at /usr/bin/containerd.
#   - CNI plugins 1.1 from Debian, copied from /usr/lib/cni to /opt/cni/bin.
#   - /usr/local/bin/crictl is a minimal crictl (inspecti, images) on k8s.io/cri-client, since
#     cri-tools is not on the proxy (nor in bookworm): crictl/, built by crictl.sh. Those are
#     the commands kind runs (`kind load` skips images a node already has; `kind export logs`).
#   - no containerd-fuse-overlayfs snapshotter (only selected for rootless / zfs / fuse hosts),
#     no curl.
#   - containerd config: kind's (already config version 2, which containerd 1.6 reads) with
#     the sandbox image renamed to $E2E_REGISTRY/pause and the registry config_path and CNI
#     directories made explicit.
#   - a containerd.service drop-in sets restrict_oom_score_adj when the node lacks
#     CAP_SYS_RESOURCE (this machine): otherwise no pod sandbox can start (see below).
# Idempotent: skipped when the image carries the same ci.local.source-hash label.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

IMAGE="${1:-ci.local/kind-base:${KIND_VERSION}-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
SUITE=bookworm # systemd 252 still boots on cgroup v1 hosts; trixie's 257 does not
KIND_SRC="${KIND_SRC:-${GOPATH:-$HOME/go}/pkg/mod/sigs.k8s.io/kind@${KIND_VERSION}}"
cache="$E2E_CACHE/kind-base"
export DOCKER_BUILDKIT=1

# kind's apt list (images/base/Dockerfile) plus what kind builds itself, from Debian.
packages=(
  systemd                                          # services
  conntrack iptables nftables iproute2 ethtool     # kubernetes components
  util-linux mount kmod ebtables socat
  libseccomp2 pigz                                 # container runtime
  nfs-common open-iscsi                            # network-backed storage
  bash ca-certificates jq procps                   # misc kind uses itself
  containerd runc containernetworking-plugins      # kind builds these from source
)
# Bump when the rootfs recipe below changes without the package list changing.
ROOTFS_REVISION=1

sha() { sha256sum | cut -c1-16; }
rootfs_key="$(printf '%s\n' "$SUITE" "$KIND_VERSION" "$ROOTFS_REVISION" "${packages[@]}" | sha)"
rootfs_tar="$cache/rootfs-$SUITE-$rootfs_key.tar"
rootfs_image="ci.local/kind-base-rootfs:$rootfs_key"
source_hash="$(cat "$here/kind-base.sh" "$here/kind-base.Dockerfile" "$here/crictl.sh" \
  "$here/crictl/main.go" "$here/crictl/go.mod" "$here/crictl/go.sum" |
  { cat; printf '%s\n' "$rootfs_key" "$E2E_REGISTRY"; } | sha)"

if image_built_from "$IMAGE" "$source_hash"; then
  echo "kind-base: $IMAGE already built (source hash $source_hash)"
  exit 0
fi
[ -f "$KIND_SRC/images/base/Dockerfile" ] ||
  { echo "kind-base: kind $KIND_VERSION module source not found at $KIND_SRC (go mod download sigs.k8s.io/kind@$KIND_VERSION)" >&2; exit 1; }
mkdir -p "$cache"

tmp="$(mktemp -d "$cache/tmp.XXXXXX")"
cleanup() {
  # The chroot's /proc first, so rm never descends into the host's.
  if mountpoint -q "$tmp/rootfs/proc" 2>/dev/null; then umount "$tmp/rootfs/proc"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- 1. Debian rootfs --------------------------------------------------------------------
build_rootfs() {
  local r="$tmp/rootfs" log="$cache/debootstrap.log"
  echo "kind-base: debootstrap $SUITE with ${#packages[@]} packages (several minutes; log $log)"
  debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
    "$SUITE" "$r" "$MIRROR" >"$log" 2>&1 || { tail -30 "$log" >&2; return 1; }

  # Point updates and security fixes at the same mirrors and apply them, as kind's
  # clean-install does with `apt-get upgrade`; nothing may start services in the chroot.
  rm -f "$r/etc/apt/sources.list"
  cat >"$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d" && chmod 755 "$r/usr/sbin/policy-rc.d"
  mount -t proc proc "$r/proc"
  {
    chroot "$r" apt-get update
    chroot "$r" apt-get -y -o Dpkg::Options::=--force-confold upgrade
    chroot "$r" apt-get clean
  } >>"$log" 2>&1 || { tail -30 "$log" >&2; return 1; }
  umount "$r/proc"
  rm -f "$r/usr/sbin/policy-rc.d"

  # kind's clean-install cleanup, keeping each package's copyright file (the licences of
  # what the image ships; kind collects its own builds' licences under /LICENSES instead).
  find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/debconf/*-old \
    "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/* "$r"/usr/share/man/* "$r"/usr/share/doc-base/*
  # Docker provides these per container; do not ship the build host's.
  : >"$r/etc/resolv.conf"
  echo localhost >"$r/etc/hostname"

  tar --numeric-owner --xattrs -C "$r" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$r"
  # Older rootfs versions are never used again.
  find "$cache" -maxdepth 1 -name "rootfs-$SUITE-*.tar" ! -name "${rootfs_tar##*/}" -delete
}

if ! docker image inspect "$rootfs_image" >/dev/null 2>&1; then
  if [ ! -s "$rootfs_tar" ]; then build_rootfs; fi
  echo "kind-base: importing $rootfs_tar as $rootfs_image"
  docker import --message "debootstrap $SUITE: ${packages[*]}" "$rootfs_tar" "$rootfs_image" >/dev/null
fi

# --- 2. kind's files, adapted to Debian's paths ------------------------------------------
ctx="$tmp/context"
mkdir -p "$ctx"
cp -r "$KIND_SRC/images/base/files" "$ctx/files"
cp "$here/kind-base.Dockerfile" "$ctx/Dockerfile"
f="$ctx/files"
chmod -R u+w "$f"

# Assert each substitution so a new kind version that moves things fails loudly here.
edit() { # file sed-expression expected-line
  sed -i "$2" "$1"
  grep -qxF -- "$3" "$1" || { echo "kind-base: could not adapt ${1#"$f"/} (expected: $3)" >&2; exit 1; }
}
# Debian's containerd is /usr/bin/containerd; kind installs its build in /usr/local/bin.
edit "$f/etc/systemd/system/containerd.service" \
  's#^ExecStart=/usr/local/bin/containerd$#ExecStart=/usr/bin/containerd#' \
  'ExecStart=/usr/bin/containerd'
# The pause image is built and named under $E2E_REGISTRY (same tag as kind's).
pause_tag="$(sed -n 's#^ *sandbox_image = "registry.k8s.io/pause:\(.*\)"#\1#p' "$f/etc/containerd/config.toml")"
[ -n "$pause_tag" ] || { echo "kind-base: no registry.k8s.io/pause sandbox_image in kind's config.toml" >&2; exit 1; }
edit "$f/etc/containerd/config.toml" \
  "s#sandbox_image = \"registry.k8s.io/pause:#sandbox_image = \"$E2E_REGISTRY/pause:#" \
  "  sandbox_image = \"$E2E_REGISTRY/pause:$pause_tag\""
grep -qx 'version = 2' "$f/etc/containerd/config.toml" ||
  { echo "kind-base: kind's containerd config is no longer version 2; containerd 1.6 needs a rewrite" >&2; exit 1; }
cat >>"$f/etc/containerd/config.toml" <<'EOF'

# Added by ci.local kind-base (Debian's containerd 1.6): kind's defaults, made explicit.
# Registry hosts (mirrors, CAs) per registry under certs.d, as kind's docs configure them.
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/opt/cni/bin"
  conf_dir = "/etc/cni/net.d"
EOF
mkdir -p "$f/etc/containerd/certs.d"
# Not from kind: this machine drops CAP_SYS_RESOURCE from every bounding set, so no process in a
# node can lower an oom_score_adj. The kubelet asks -998 for pod sandboxes and runc's init then
# dies ("can't get final child's PID from pipe: EOF"): no pod starts. kind's entrypoint turns on
# containerd's restrict_oom_score_adj (requests clamped to containerd's own score) for rootless
# nodes only; this drop-in does the same whenever CAP_SYS_RESOURCE is missing, and nothing
# otherwise.
mkdir -p "$f/usr/local/sbin" "$f/etc/systemd/system/containerd.service.d"
cat >"$f/usr/local/sbin/ci-restrict-oom-score-adj" <<'EOF'
#!/bin/sh
# ExecStartPre of containerd.service (ci.local kind-base): without CAP_SYS_RESOURCE (capability
# 24) in the bounding set, make containerd clamp oom_score_adj requests (restrict_oom_score_adj).
set -eu
bounding="$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)"
if [ $((0x$bounding >> 24 & 1)) -eq 0 ]; then
  sed -i 's/^\([[:space:]]*restrict_oom_score_adj\) = false/\1 = true/' /etc/containerd/config.toml
fi
EOF
cat >"$f/etc/systemd/system/containerd.service.d/10-ci-restrict-oom-score-adj.conf" <<'EOF'
# ci.local kind-base: see /usr/local/sbin/ci-restrict-oom-score-adj
[Service]
ExecStartPre=/usr/local/sbin/ci-restrict-oom-score-adj
EOF
# kind installs crictl in /usr/local/bin; here the minimal one from crictl/ (static, Go).
bash "$here/crictl.sh" "$f/usr/local/bin/crictl"
# /LICENSES/README.txt describes go-licenses output of kind's own builds; here every binary
# but crictl is a Debian package.
cat >"$f/LICENSES/README.txt" <<'EOF'
Every program in this image but /usr/local/bin/crictl comes from a Debian bookworm package;
each package's licence is in /usr/share/doc/<package>/copyright. kind's static files (/kind,
/usr/local/bin/entrypoint, /etc/systemd/system/*) are from sigs.k8s.io/kind, Apache License
2.0. /usr/local/bin/crictl is a minimal crictl (inspecti, images) built from Go modules:
k8s.io/cri-client and k8s.io/cri-api (Apache License 2.0) and their dependencies (gRPC,
protobuf, OpenTelemetry, Prometheus, golang.org/x: Apache-2.0, BSD-3-Clause or MIT).
EOF
# kind's modes: directories and scripts 0755, everything else 0644.
find "$f" -type d -exec chmod 0755 {} +
find "$f" -type f -exec chmod 0644 {} +
chmod 0755 "$f"/usr/local/bin/* "$f"/usr/local/sbin/* "$f"/kind/bin/*

echo "kind-base: building $IMAGE from $rootfs_image"
old_id="$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
docker build -q -f "$ctx/Dockerfile" \
  --build-arg ROOTFS_IMAGE="$rootfs_image" \
  --label "ci.local.source-hash=$source_hash" \
  --label "org.opencontainers.image.title=ci.local/kind-base" \
  --label "org.opencontainers.image.version=$KIND_VERSION-$SUITE" \
  --label "org.opencontainers.image.description=Equivalent of kind $KIND_VERSION base image from Debian $SUITE packages (not kindest/base)" \
  -t "$IMAGE" "$ctx" >/dev/null
# The image this one replaces is left untagged; drop it unless a container still uses it.
new_id="$(docker image inspect --format '{{.Id}}' "$IMAGE")"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then docker rmi "$old_id" >/dev/null 2>&1 || true; fi
echo "kind-base: built $IMAGE"
