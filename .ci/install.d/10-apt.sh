#!/usr/bin/env bash
# Debian packages listed in .ci/apt-packages.txt; skips apt entirely when all are present.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
mapfile -t wanted < <(grep -v '^\s*#' "$(dirname "$0")/../apt-packages.txt" | grep -v '^\s*$')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then echo "apt: all ${#wanted[@]} packages present"; exit 0; fi
echo "apt: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
