#!/usr/bin/env bash
# The two services' virtualenvs (apps/*/.venv) from their committed poetry.lock, dev tools included.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
for app in api_rest async_worker; do
  poetry -C "$root/apps/$app" sync --no-interaction --quiet
  echo "poetry: apps/$app ready"
done
