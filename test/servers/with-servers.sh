#!/usr/bin/env bash
# Run a command against fresh, real PostgreSQL and Kafka test servers, then stop them (always).
# Exports TEST_DATABASE_URL and TEST_KAFKA_BOOTSTRAP for the command.
# Usage: test/servers/with-servers.sh COMMAND [ARGS...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
cleanup() { "$here/kafka.sh" stop || true; "$here/postgres.sh" stop || true; }
trap cleanup EXIT
"$here/postgres.sh" reset >/dev/null
"$here/kafka.sh" reset >/dev/null
"$here/postgres.sh" start
"$here/kafka.sh" start
TEST_DATABASE_URL="$("$here/postgres.sh" url)" TEST_KAFKA_BOOTSTRAP="$("$here/kafka.sh" bootstrap)" "$@"
