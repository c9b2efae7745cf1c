# shellcheck shell=bash
# Sourced by the scripts that build CI images: each image carries the hash of what it is built
# from in the label ci.local.source-hash, and is rebuilt only when that hash changes.

# image_built_from IMAGE HASH: true when IMAGE exists and was built from HASH.
image_built_from() {
  [ "$(docker image inspect --format '{{index .Config.Labels "ci.local.source-hash"}}' "$1" 2>/dev/null)" = "$2" ]
}
