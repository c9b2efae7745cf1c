import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  type AlertRule,
  alertRules,
  PROMETHEUS_CONFIG,
  RULE_TESTS_FILE,
  RULES_FILE,
  RUNBOOKS_FILE,
  readYaml,
} from './files.ts';

function promtool(...args: string[]): { code: number; output: string } {
  const r = spawnSync(process.env.PROMTOOL_BIN ?? 'promtool', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`promtool not runnable (apt-get install prometheus): ${r.error.message}`);
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

/** The alerts the issue asks for, by what they watch. */
const REQUIRED = [
  'ShipayTargetDown',
  'ShipayApiNotScraped',
  'ShipayWorkerNotScraped',
  'ShipayApiHighErrorRatio',
  'ShipayApiHighLatency',
  'ShipayHostHighCpu',
  'ShipayHostHighMemory',
  'ShipayConsumerLagGrowing',
  'ShipayDeadLetters',
  'ShipayOutboxNotDraining',
];

describe('alert rules', () => {
  const rules = alertRules();

  it('pass promtool check rules, and the compose config that loads them passes check config', () => {
    const rulesCheck = promtool('check', 'rules', RULES_FILE);
    assert.equal(rulesCheck.code, 0, rulesCheck.output);
    assert.match(rulesCheck.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
    const configCheck = promtool('check', 'config', PROMETHEUS_CONFIG);
    assert.equal(configCheck.code, 0, configCheck.output);
    assert.match(configCheck.output, /SUCCESS: 1 rule files found/);
  });

  it('cover every situation the issue lists, once each', () => {
    assert.deepEqual(rules.map((r) => r.alert).sort(), [...REQUIRED].sort());
  });

  it('each carry a severity, a summary, a description and a runbook section that exists', () => {
    const headings = new Set(
      readFileSync(RUNBOOKS_FILE, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('## '))
        .map((l) => `docs/runbooks.md#${l.slice(3).trim().toLowerCase()}`),
    );
    for (const rule of rules) {
      assert.match(rule.labels?.severity ?? '', /^(critical|warning)$/, `${rule.alert} severity`);
      assert.ok(rule.annotations?.summary, `${rule.alert} has no summary`);
      assert.ok(rule.annotations?.description, `${rule.alert} has no description`);
      assert.ok(
        headings.has(rule.annotations?.runbook_url ?? ''),
        `${rule.alert} runbook_url has no section`,
      );
    }
  });
});

describe('promtool unit tests of the alert rules', () => {
  const rules = alertRules();
  const work = mkdtempSync(join(tmpdir(), 'shipay-rules-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('pass', () => {
    const r = promtool('test', 'rules', RULE_TESTS_FILE);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
  });

  it('check every alert both firing and staying silent', () => {
    const doc = readYaml<{ tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }>(
      RULE_TESTS_FILE,
    );
    const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of REQUIRED) {
      const mine = cases.filter((c) => c.alertname === name);
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${name}: no case where it fires`,
      );
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${name}: no case where it stays silent`,
      );
    }
  });

  // Mutation testing: the unit tests must fail when a rule is broken, or they prove nothing.
  /** Runs the unit tests against a copy of the rules where `mutate` changed one alert. */
  function unitTestsWith(alert: string, mutate: (rule: AlertRule) => void): { code: number; output: string } {
    const doc = readYaml<{ groups: { rules: AlertRule[] }[] }>(RULES_FILE);
    const rule = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === alert)!;
    mutate(rule);
    const rulesCopy = join(work, `${alert}.rules.yaml`);
    writeFileSync(rulesCopy, stringify(doc));
    const tests = readYaml<Record<string, unknown>>(RULE_TESTS_FILE);
    tests.rule_files = [rulesCopy];
    const testsCopy = join(work, `${alert}.test.yaml`);
    writeFileSync(testsCopy, stringify(tests));
    return promtool('test', 'rules', testsCopy);
  }

  for (const name of REQUIRED) {
    it(`fail when ${name} never fires`, () => {
      const r = unitTestsWith(name, (rule) => {
        rule.expr = 'vector(0) > 1';
      });
      assert.notEqual(r.code, 0, `unit tests still pass with ${name} disabled`);
      assert.match(r.output, new RegExp(`alertname: ${name}`));
    });

    it(`fail when ${name} fires too easily (threshold loosened)`, () => {
      const r = unitTestsWith(name, (rule) => {
        const loosened = rule.expr.trimEnd().replace(/(==|>|<)\s*[0-9.]+$/, '>= 0');
        // absent() rules have no threshold: make them see a metric that never exists
        rule.expr =
          loosened !== rule.expr.trimEnd() ? loosened : rule.expr.replace(/absent\(\w+\)/, 'absent(nope)');
        assert.notEqual(
          rule.expr.trimEnd(),
          readRule(name).expr.trimEnd(),
          `${name}: mutation had no effect`,
        );
      });
      assert.notEqual(r.code, 0, `unit tests still pass with ${name} loosened`);
      assert.match(r.output, new RegExp(`alertname: ${name}`));
    });

    const original = rules.find((r) => r.alert === name);
    if (original?.for) {
      it(`fail when ${name} loses its 'for: ${original.for}'`, () => {
        const r = unitTestsWith(name, (rule) => {
          delete rule.for;
        });
        assert.notEqual(r.code, 0, `unit tests still pass without ${name}'s for`);
        assert.match(r.output, new RegExp(`alertname: ${name}`));
      });
    }
  }

  function readRule(name: string): AlertRule {
    return rules.find((r) => r.alert === name)!;
  }
});
