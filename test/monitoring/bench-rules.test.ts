import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { fastRules } from '../../bench/alerts.ts';
import { type AlertRule, alertRules, RULES_FILE } from './files.ts';

describe('bench/alerts.ts test-only rules', () => {
  const real = alertRules();
  const fast = (
    parse(fastRules(readFileSync(RULES_FILE, 'utf8'))) as { groups: { rules: AlertRule[] }[] }
  ).groups
    .flatMap((g) => g.rules)
    .filter((r) => r.alert);
  /** The expression with every [range] blanked: what must not change. */
  const shape = (expr: string) => expr.replace(/\[\d+[smh]\]/g, '[]');

  it('keep every alert, expression and threshold; only for and ranges get shorter', () => {
    assert.deepEqual(
      fast.map((r) => r.alert),
      real.map((r) => r.alert),
    );
    for (const [i, rule] of fast.entries()) {
      const original = real[i]!;
      assert.equal(shape(rule.expr), shape(original.expr), rule.alert);
      assert.deepEqual(rule.labels, original.labels);
      assert.equal(Boolean(rule.for), Boolean(original.for), `${rule.alert} keeps a for`);
      if (rule.for) assert.match(rule.for, /^\d+s$/);
    }
    assert.ok(
      fast.some((r) => r.expr.includes('[30s]')),
      'a 5m window becomes 30s',
    );
    assert.ok(
      fast.every((r) => !/\[\d+m\]/.test(r.expr)),
      'no minute-long window is left',
    );
  });

  it('pass promtool check rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipay-fast-rules-'));
    try {
      const file = join(dir, 'fast.yaml');
      writeFileSync(file, fastRules(readFileSync(RULES_FILE, 'utf8')));
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
