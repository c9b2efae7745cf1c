#!/usr/bin/env bash
# Pinned command-line tools from PyPI (poetry, task, hadolint, ...).
set -euo pipefail
source "$(dirname "$0")/../env.sh"
pip install --quiet --disable-pip-version-check -r "$(dirname "$0")/../requirements-tools.txt"
hash -r
task --version
