#!/usr/bin/env bash
# Builds the stand-in images the compose and image tests use instead of the official ones
# (no registry can be pulled here). Honestly named under ci.local/; skipped when present.
set -euo pipefail
# shellcheck disable=SC1091 # env.sh is sourced relative to the script, checked on its own
source "$(dirname "$0")/../env.sh"
# shellcheck source=../image-label.sh
source "$(dirname "$0")/../image-label.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
images="$root/.ci/images"
export DOCKER_BUILDKIT=1
PYTHON_STANDIN="ci.local/debian-python:3.11-bookworm"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/test/servers/kafka-pom.xml")"
KAFKA_STANDIN="ci.local/kafka:${KAFKA_VERSION}-debian"
POSTGRES_STANDIN="ci.local/postgres:15-debian"

# A stand-in is rebuilt when the files it is built from change (their hash is a label).
source_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }

"$images/debian-python.sh" "$PYTHON_STANDIN"

postgres_hash="$(source_hash "$images/postgres")"
if image_built_from "$POSTGRES_STANDIN" "$postgres_hash"; then
  echo "images: $POSTGRES_STANDIN already present"
else
  docker build -q --build-arg BASE_IMAGE="$PYTHON_STANDIN" --label "ci.local.source-hash=$postgres_hash" \
    -t "$POSTGRES_STANDIN" "$images/postgres"
  echo "images: built $POSTGRES_STANDIN"
fi

kafka_hash="$(source_hash "$images/kafka")-$KAFKA_VERSION"
if image_built_from "$KAFKA_STANDIN" "$kafka_hash"; then
  echo "images: $KAFKA_STANDIN already present"
else
  libs="$("$root/test/servers/kafka-jars.sh")"
  context="$(mktemp -d)"
  trap 'rm -rf "$context"' EXIT
  cp -r "$images/kafka/." "$context/"
  cp -r "$libs" "$context/libs"
  rm -f "$context/libs/.complete"
  docker build -q --build-arg BASE_IMAGE="$PYTHON_STANDIN" --build-arg KAFKA_VERSION="$KAFKA_VERSION" \
    --label "ci.local.source-hash=$kafka_hash" -t "$KAFKA_STANDIN" "$context"
  echo "images: built $KAFKA_STANDIN"
fi
