#!/bin/sh
# Minimal kafka-run-class.sh: the jars in /opt/kafka/libs on the classpath, KAFKA_HEAP_OPTS,
# KAFKA_OPTS and the console log4j configuration honoured like the upstream script.
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC -Djava.awt.headless=true \
  -Dlog4j.configuration=file:/opt/kafka/config/log4j.properties ${KAFKA_OPTS:-} \
  -cp '/opt/kafka/libs/*' "$@"
