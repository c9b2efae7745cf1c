# shellcheck shell=bash
# Sourced by every step under test/e2e/build: the repository root, CI's tool paths and cache,
# the image_built_from helper and the pinned versions.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
# shellcheck source=.ci/env.sh
source "$root/.ci/env.sh"
# shellcheck source=.ci/image-label.sh
source "$root/.ci/image-label.sh"
# shellcheck source=test/e2e/versions.env
source "$root/test/e2e/versions.env"
