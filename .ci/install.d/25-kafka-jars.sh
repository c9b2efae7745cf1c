#!/usr/bin/env bash
# Apache Kafka broker and tools jars from Maven Central (for the real test broker), cached.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
"$(dirname "$0")/../../test/servers/kafka-jars.sh"
