#!/usr/bin/env bash
# ci.local/debian-iptables:bookworm, a stand-in for registry.k8s.io/build-image/debian-iptables
# (not pullable here) and the base of the kube-proxy and flannel images: a debootstrap'ed
# bookworm rootfs with both iptables backends behind images/iptables-wrapper.
# The rootfs tarball is cached under $E2E_CACHE/rootfs; the image is re-imported only when
# this script or the wrapper changes (their hash is a label).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

IMAGE="${1:-ci.local/debian-iptables:bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES=iptables,conntrack,ipset,iproute2,ca-certificates,kmod,netbase
wrapper="$here/images/iptables-wrapper"
hash="$(cat "$0" "$wrapper" | sha256sum | cut -c1-16)"
tarball="$E2E_CACHE/rootfs/debian-iptables-bookworm-$(echo "$PACKAGES" | sha256sum | cut -c1-12).tar"

if image_built_from "$IMAGE" "$hash"; then
  echo "images: $IMAGE already present"
  exit 0
fi

mkdir -p "$E2E_CACHE/rootfs"
if [ ! -s "$tarball" ]; then
  root="$(mktemp -d "$E2E_CACHE/rootfs/root.XXXXXX")"
  trap 'rm -rf "$root"' EXIT
  echo "images: debootstrap bookworm into $root (a few minutes)"
  debootstrap --variant=minbase --include="$PACKAGES" bookworm "$root" "$MIRROR" \
    >"$E2E_CACHE/rootfs/debootstrap.log" 2>&1 ||
    { tail -30 "$E2E_CACHE/rootfs/debootstrap.log" >&2; exit 1; }
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
    "$root"/usr/share/locale/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi

# The wrapper goes in as a second layer so editing it does not re-run debootstrap.
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$wrapper" "$context/"
docker import --message "stand-in for debian-iptables:bookworm (debootstrap)" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$tarball" "$IMAGE-rootfs" >/dev/null
DOCKER_BUILDKIT=1 docker build -q --label "ci.local.source-hash=$hash" -t "$IMAGE" -f - "$context" <<DOCKERFILE >/dev/null
FROM $IMAGE-rootfs
COPY iptables-wrapper /usr/sbin/iptables-wrapper
RUN for t in iptables ip6tables; do \
      update-alternatives --install /usr/sbin/\$t \$t /usr/sbin/iptables-wrapper 100 \
        --slave /usr/sbin/\$t-restore \$t-restore /usr/sbin/iptables-wrapper \
        --slave /usr/sbin/\$t-save \$t-save /usr/sbin/iptables-wrapper; \
    done
DOCKERFILE
docker rmi "$IMAGE-rootfs" >/dev/null
echo "images: built $IMAGE"
