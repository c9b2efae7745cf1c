import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CronExpressionParser } from 'cron-parser';
import { fromRoot, repoRoot } from '../../scripts/lib/paths.ts';
import {
  CRON_TAG,
  cronEntry,
  DEFAULT_AT,
  DEFAULT_BASE_DIR,
  DEFAULT_REPO,
  findEntry,
  mergeCrontab,
  renderService,
  renderTimer,
  stripCrontab,
} from '../../scripts/lib/schedule-render.ts';

const defaults = { repo: DEFAULT_REPO, baseDir: DEFAULT_BASE_DIR, at: DEFAULT_AT, node: '/usr/bin/node' };
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('crontab entry', () => {
  test('cron/crontab is exactly what schedule.ts installs for the default paths', () => {
    const file = readFileSync(fromRoot('cron/crontab'), 'utf8');
    const ours = file
      .split('\n')
      .filter((l) => l.includes(CRON_TAG))
      .join('\n');
    assert.equal(`${ours}\n`, cronEntry(defaults, `${DEFAULT_BASE_DIR}/process-logs.log`));
  });

  test('the job line parses with cron-parser and runs daily at 02:00', () => {
    const line = findEntry(cronEntry(defaults, '/var/log/p.log'))!;
    const fields = line.split(/\s+/).slice(0, 5).join(' ');
    assert.equal(fields, '0 2 * * *');
    const from = new Date(2026, 10, 22, 3, 0, 0);
    const runs = CronExpressionParser.parse(fields, { currentDate: from });
    const first = runs.next().toDate();
    const second = runs.next().toDate();
    assert.deepEqual([first.getDate(), first.getHours(), first.getMinutes()], [23, 2, 0]);
    assert.equal(second.getTime() - first.getTime(), 24 * 3600 * 1000);
    assert.match(line, /cd \/ && env -i PATH=\/usr\/bin:\/bin .*>> \/var\/log\/p\.log 2>&1/);
    assert.ok(!line.includes('%'), 'cron would turn % into a newline');
  });

  test('merge keeps every other line, never duplicates, strip removes only ours', () => {
    const others = 'MAILTO=ops@example.com\n# backup\n15 3 * * * /usr/local/bin/backup\n';
    const entry = cronEntry(defaults, '/var/log/p.log');
    const once = mergeCrontab(others, entry);
    assert.ok(once.changed);
    assert.equal(once.text, `${others}${entry}`);
    const twice = mergeCrontab(once.text, entry);
    assert.deepEqual(twice, { text: once.text, changed: false });
    const moved = mergeCrontab(once.text, cronEntry({ ...defaults, at: '04:30' }, '/var/log/p.log'));
    assert.equal(moved.text.split('\n').filter((l) => l.includes(CRON_TAG)).length, 2, 'replaced, not added');
    assert.match(findEntry(moved.text)!, /^30 4 \* \* \* /);
    assert.deepEqual(stripCrontab(once.text), { text: others, removed: 2 });
    assert.deepEqual(stripCrontab(others), { text: others, removed: 0 });
  });

  test('bad times and paths are refused with the reason', () => {
    assert.throws(() => cronEntry({ ...defaults, at: '25:00' }, '/l'), /not a time of day/);
    assert.throws(() => cronEntry({ ...defaults, baseDir: 'relative' }, '/l'), /absolute/);
    assert.throws(() => cronEntry({ ...defaults, baseDir: '/a%b' }, '/l'), /contains %/);
  });
});

describe('systemd units', () => {
  function verify(files: Record<string, string>): ReturnType<typeof spawnSync> {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return spawnSync('systemd-analyze', ['verify', ...Object.keys(files).map((n) => join(dir, n))], {
      encoding: 'utf8',
    });
  }

  test('cron/process-logs.{service,timer} pass systemd-analyze verify, daily and persistent', (t) => {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0)
      return t.skip('systemd-analyze not installed');
    const service = readFileSync(fromRoot('cron/process-logs.service'), 'utf8');
    const timer = readFileSync(fromRoot('cron/process-logs.timer'), 'utf8');
    const result = verify({ 'process-logs.service': service, 'process-logs.timer': timer });
    assert.equal(result.status, 0, String(result.stderr));
    assert.equal(String(result.stderr).trim(), '', 'no warning either');
    assert.match(timer, /^OnCalendar=\*-\*-\* 02:00:00$/m);
    assert.match(timer, /^Persistent=true$/m);
    assert.match(timer, /^RandomizedDelaySec=5min$/m);
    for (const option of [
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      `ReadWritePaths=${DEFAULT_BASE_DIR}`,
    ]) {
      assert.ok(service.includes(`\n${option}\n`), option);
    }
  });

  test('what install --with systemd writes for this checkout verifies too (system and --user)', (t) => {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0)
      return t.skip('systemd-analyze not installed');
    const base = mkdtempSync(join(tmpdir(), 'logs-'));
    dirs.push(base);
    const target = { repo: repoRoot, baseDir: base, at: '23:45', node: process.execPath };
    const template = readFileSync(fromRoot('cron/process-logs.service'), 'utf8');
    const timer = renderTimer(readFileSync(fromRoot('cron/process-logs.timer'), 'utf8'), '23:45');
    assert.match(timer, /^OnCalendar=\*-\*-\* 23:45:00$/m);
    for (const runAs of ['nobody', undefined]) {
      const service = renderService(template, target, runAs);
      assert.ok(
        service.includes(
          `ExecStart=${process.execPath} --import ${repoRoot}/node_modules/tsx/dist/loader.mjs`,
        ),
      );
      assert.ok(service.includes(`ReadWritePaths=${base}\n`));
      assert.equal(/^User=/m.test(service), runAs !== undefined);
      const result = verify({ 'process-logs.service': service, 'process-logs.timer': timer });
      assert.equal(result.status, 0, String(result.stderr));
    }
  });
});
