#!/usr/bin/env bash
# Stand-in for the official python:3.12-slim-bookworm, which cannot be pulled here: a minimal
# Debian bookworm rootfs (debootstrap) with Debian's python3 (3.11), venv and pip, imported as
# ci.local/debian-python:3.11-bookworm. Honestly named: it is NOT the official image.
# The rootfs tarball is cached under $CI_CACHE/images; a rerun only re-imports when needed.
set -euo pipefail
# shellcheck disable=SC1091 # env.sh is sourced relative to the script, checked on its own
source "$(dirname "$0")/../env.sh"

IMAGE="${1:-ci.local/debian-python:3.11-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="$CI_CACHE/images"
tarball="$cache/debian-python-bookworm.tar"
mkdir -p "$cache"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "images: $IMAGE already present"
  exit 0
fi

if [ ! -s "$tarball" ]; then
  root="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$root"' EXIT
  echo "images: debootstrap bookworm into $root (a few minutes)"
  debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates,openssl \
    bookworm "$root" "$MIRROR" >"$cache/debootstrap.log" 2>&1 ||
    { tail -30 "$cache/debootstrap.log" >&2; exit 1; }
  # Same shape as the official image: `python` on PATH, no apt lists, no docs.
  ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
    "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi

docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --message "stand-in for python:3.12-slim-bookworm (debootstrap + Debian python3)" \
  "$tarball" "$IMAGE"
echo "images: built $IMAGE"
