#!/usr/bin/env bash
# Fetch the Apache Kafka broker and tools jars (and their runtime dependencies) from Maven
# Central into $CI_CACHE/kafka/<version>/libs, once; print that folder.
# Usage: test/servers/kafka-jars.sh   (KAFKA_VERSION overrides the pom's version)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CI_CACHE="${CI_CACHE:-$HOME/.cache/shipay-ci}"
pom="$here/kafka-pom.xml"
default_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
version="${KAFKA_VERSION:-$default_version}"
libs="$CI_CACHE/kafka/$version/libs"

if [ -f "$libs/.complete" ]; then
  echo "$libs"
  exit 0
fi
command -v mvn >/dev/null || { echo "kafka-jars: mvn not found; install it: apt-get install maven" >&2; exit 4; }
command -v java >/dev/null || { echo "kafka-jars: java not found; install it: apt-get install openjdk-17-jre-headless" >&2; exit 4; }

tmp="$(mktemp -d "$CI_CACHE/kafka-jars.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/libs"
echo "kafka-jars: fetching Kafka $version from Maven Central" >&2
mvn -q -B -f "$pom" -Dkafka.version="$version" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >&2
test -f "$tmp/libs/kafka_2.13-$version.jar"
touch "$tmp/libs/.complete"
mkdir -p "$(dirname "$libs")"
rm -rf "$libs"
mv "$tmp/libs" "$libs"
echo "$libs"
