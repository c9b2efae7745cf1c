#!/bin/sh
# Minimal kafka-run-class.sh: the jars in /opt/kafka/libs on the classpath, KAFKA_HEAP_OPTS,
# KAFKA_OPTS and KAFKA_LOG4J_OPTS honoured like the upstream script (tools log to stderr).
# shellcheck disable=SC2086 # the *_OPTS variables hold several JVM flags on purpose
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} -XX:+UseG1GC -Djava.awt.headless=true \
  ${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties} ${KAFKA_OPTS:-} \
  -cp '/opt/kafka/libs/*' "$@"
