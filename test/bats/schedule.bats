#!/usr/bin/env bats
# scripts/schedule.ts against the real `crontab` command (Debian's cron package), on the crontab of
# a throwaway system user so that nobody's real crontab is touched. systemd is not PID 1 here, so
# --with systemd is exercised with --dry-run (the unit files themselves are checked with
# systemd-analyze verify in test/unit/schedule.test.ts).

bats_require_minimum_version 1.5.0

CRON_USER=plogs-ci

setup() {
  load '../../node_modules/bats-support/load'
  load '../../node_modules/bats-assert/load'
  REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  BASE="$(mktemp -d)"
  export NO_COLOR=1
}

teardown() {
  rm -rf "$BASE"
  if [ "$(id -u)" = 0 ] && id "$CRON_USER" >/dev/null 2>&1; then crontab -u "$CRON_USER" -r 2>/dev/null || true; fi
}

schedule() {
  node --import "$REPO/node_modules/tsx/dist/loader.mjs" "$REPO/scripts/schedule.ts" "$@"
}

need_crontab_user() {
  command -v crontab >/dev/null || skip "crontab not installed (apt-get install cron)"
  [ "$(id -u)" = 0 ] || skip "crontab -u needs root"
  id "$CRON_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$CRON_USER"
}

@test "install is idempotent and keeps the other crontab entries; uninstall removes only ours" {
  need_crontab_user
  printf 'MAILTO=ops@example.com\n15 3 * * * /usr/local/bin/backup\n' | crontab -u "$CRON_USER" -
  run schedule install --crontab-user "$CRON_USER" --base-dir "$BASE" --at 03:30
  assert_success
  assert_line --partial 'installed the crontab entry'
  run schedule install --crontab-user "$CRON_USER" --base-dir "$BASE" --at 03:30
  assert_success
  assert_line --partial 'already installed, unchanged'
  run crontab -u "$CRON_USER" -l
  assert_line --index 0 'MAILTO=ops@example.com'
  assert_line --index 1 '15 3 * * * /usr/local/bin/backup'
  assert_equal "$(grep -c '^30 3 \* \* \* cd / && env -i ' <<<"$output")" 1
  assert_equal "$(grep -c 'shipay-toolkit:process-logs' <<<"$output")" 2

  run schedule status --crontab-user "$CRON_USER"
  assert_success
  assert_line --regexp 'scheduled with cron next=.* 03:30:00'
  assert_line --partial "no output yet in $BASE/process-logs.log"

  run schedule uninstall --crontab-user "$CRON_USER"
  assert_success
  assert_line --partial 'removed 2 crontab line(s)'
  run crontab -u "$CRON_USER" -l
  assert_output $'MAILTO=ops@example.com\n15 3 * * * /usr/local/bin/backup'
  run schedule uninstall --crontab-user "$CRON_USER"
  assert_line --partial 'nothing to remove'
}

@test "status shows the last lines of the job's log once it ran" {
  need_crontab_user
  schedule install --crontab-user "$CRON_USER" --base-dir "$BASE" >/dev/null
  echo '2026-11-22 02:00:01 INFO  summary: moved 4, skipped 0, failed 0 in 0.01s' >"$BASE/process-logs.log"
  run schedule status --crontab-user "$CRON_USER"
  assert_success
  assert_line --partial "last output ($BASE/process-logs.log"
  assert_line --partial 'summary: moved 4, skipped 0, failed 0'
}

@test "--dry-run prints the new crontab and changes nothing" {
  need_crontab_user
  run schedule install --crontab-user "$CRON_USER" --base-dir "$BASE" --dry-run
  assert_success
  assert_line --partial "+ crontab -u $CRON_USER -"
  assert_line --regexp '^0 2 \* \* \* cd / && env -i PATH=/usr/bin:/bin '
  run crontab -u "$CRON_USER" -l
  assert_failure
}

@test "--with systemd --user --dry-run prints the units and the systemctl commands" {
  run schedule install --with systemd --user --base-dir "$BASE" --unit-dir "$BASE/units" --dry-run
  assert_success
  assert_line "# $BASE/units/process-logs.service"
  assert_line "ReadWritePaths=$BASE"
  assert_line 'OnCalendar=*-*-* 02:00:00'
  assert_line '+ systemctl --user daemon-reload'
  assert_line '+ systemctl --user enable --now process-logs.timer'
  refute_line --regexp '^User='
  assert [ ! -e "$BASE/units" ]
}

@test "--with systemd without a running systemd: exit 4, nothing written" {
  [ ! -d /run/systemd/system ] || skip "systemd is running here; this checks the refusal on machines without it"
  run schedule install --with systemd --base-dir "$BASE" --unit-dir "$BASE/units"
  assert_failure 4
  assert_line --partial 'systemd is not running on this machine'
  assert [ ! -e "$BASE/units" ]
}

@test "bad action or scheduler: exit 2 with the fix" {
  run schedule start
  assert_failure 2
  assert_line --partial "expected one action, install, uninstall or status"
  run schedule install --with anacron
  assert_failure 2
  assert_line --partial "--with 'anacron' is not a scheduler"
}
