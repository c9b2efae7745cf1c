#!/usr/bin/env bash
# checkov (PyPI, pinned) in its own virtualenv: its pinned dependencies conflict with poetry's,
# so it cannot share the tools environment of requirements-tools.txt. Linked into ~/.local/bin.
set -euo pipefail
# shellcheck source=/dev/null
source "$(dirname "$0")/../env.sh"
version=3.3.30
venv="$CI_CACHE/venvs/checkov-$version"
if [ -x "$venv/bin/checkov" ]; then
  echo "checkov: $version present"
else
  echo "checkov: installing $version"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$version"
fi
mkdir -p "$HOME/.local/bin"
ln -sf "$venv/bin/checkov" "$HOME/.local/bin/checkov"
