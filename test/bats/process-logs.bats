#!/usr/bin/env bats
# scripts/process-logs.ts run as a process: exit codes and log lines, then the crontab entry run
# exactly as cron runs it (env -i, PATH=/usr/bin:/bin, from /).

bats_require_minimum_version 1.5.0

setup() {
  load '../../node_modules/bats-support/load'
  load '../../node_modules/bats-assert/load'
  REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  BASE="$(mktemp -d)"
  mkdir "$BASE/ARQUIVOS"
  export NO_COLOR=1
}

teardown() {
  rm -rf "$BASE"
}

plogs() {
  node --import "$REPO/node_modules/tsx/dist/loader.mjs" "$REPO/scripts/process-logs.ts" "$@"
}

@test "--help shows the usage and exit codes" {
  run plogs --help
  assert_success
  assert_line --partial 'Usage: npx tsx scripts/process-logs.ts'
  assert_line --partial '--min-age SECONDS'
  assert_line --regexp '^ +3  another run holds the lock'
}

@test "the challenge's four files are moved with the date and time, every step logged" {
  for i in 1 2 3 4; do echo "line $i" >"$BASE/ARQUIVOS/log_para_processamento_$i.log"; done
  run --separate-stderr plogs --base-dir "$BASE"
  assert_success
  assert_line --regexp "INFO  start: moving 4 file\(s\) from $BASE/ARQUIVOS to $BASE/ARQUIVOS_PROCESSADOS"
  for i in 1 2 3 4; do
    assert_line --regexp "INFO  moved log_para_processamento_${i}\.log -> log_para_processamento_${i}_[0-9]{8}_[0-9]{6}\.log$"
  done
  assert_line --regexp 'summary: moved 4, skipped 0, failed 0 in [0-9.]+s$'
  run ls "$BASE/ARQUIVOS"
  assert_output ''
  run ls "$BASE/ARQUIVOS_PROCESSADOS"
  assert_equal "${#lines[@]}" 4
}

@test "empty source: exit 0, says nothing to do" {
  run plogs --base-dir "$BASE"
  assert_success
  assert_line --partial "nothing to do: $BASE/ARQUIVOS is empty"
}

@test "missing source: exit 2 naming the path and the fix" {
  run plogs --source "$BASE/missing"
  assert_failure 2
  assert_line --partial "source folder $BASE/missing does not exist"
  assert_line --partial "how to fix: create it (mkdir -p '$BASE/missing')"
}

@test "a --format producing a colon is refused with exit 2" {
  touch "$BASE/ARQUIVOS/a.log"
  run plogs --base-dir "$BASE" --format 'HH:mm'
  assert_failure 2
  assert_line --partial "--format 'HH:mm' produces"
  assert [ -e "$BASE/ARQUIVOS/a.log" ]
}

@test "a bad --min-age is refused with exit 2" {
  run plogs --base-dir "$BASE" --min-age soon
  assert_failure 2
  assert_line --partial "--min-age must be a whole number"
}

@test "a second run while the first holds the lock exits 3 and touches nothing" {
  touch "$BASE/ARQUIVOS/a.log"
  sleep 60 &
  holder=$!
  echo "$holder" >"$BASE/ARQUIVOS/.process-logs.lock"
  run plogs --base-dir "$BASE"
  kill "$holder"
  assert_failure 3
  assert_line --partial "another run (PID $holder) is already moving files"
  assert [ -e "$BASE/ARQUIVOS/a.log" ]
  assert [ ! -e "$BASE/ARQUIVOS_PROCESSADOS" ]
}

@test "--dry-run --json prints the plan as JSON and changes nothing" {
  touch "$BASE/ARQUIVOS/a.log"
  run plogs --base-dir "$BASE" --dry-run --json
  assert_success
  assert_line --regexp '"event":"would-move","file":"a.log","to":"a_[0-9]{8}_[0-9]{6}.log"'
  assert [ -e "$BASE/ARQUIVOS/a.log" ]
  assert [ ! -e "$BASE/ARQUIVOS_PROCESSADOS" ]
}

@test "the crontab entry runs as cron would run it: env -i, PATH=/usr/bin:/bin, cwd /" {
  echo one >"$BASE/ARQUIVOS/log_para_processamento_1.log"
  echo two >"$BASE/ARQUIVOS/with space.log"
  run node --import "$REPO/node_modules/tsx/dist/loader.mjs" "$REPO/scripts/schedule.ts" install --dry-run --base-dir "$BASE"
  assert_success
  job="$(grep -v '^#' <<<"$output" | grep 'shipay-toolkit:process-logs')"
  [ -n "$job" ]
  # The five schedule fields are cron's; the rest is what cron hands to /bin/sh.
  command="$(cut -d' ' -f6- <<<"$job")"
  cd /
  run env -i PATH=/usr/bin:/bin /bin/sh -c "$command"
  assert_success
  run cat "$BASE/process-logs.log"
  assert_line --regexp 'INFO  moved log_para_processamento_1\.log -> log_para_processamento_1_[0-9]{8}_[0-9]{6}\.log$'
  assert_line --regexp 'INFO  moved "with space.log" -> "with space_[0-9]{8}_[0-9]{6}.log"$'
  assert_line --partial 'summary: moved 2, skipped 0, failed 0'
  run ls -A "$BASE/ARQUIVOS"
  assert_output ''
}
