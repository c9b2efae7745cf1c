import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot } from './markdown.ts';

// Runs the pinned markdownlint-cli2 with the repository's config in a scratch folder, so the
// fixtures are not hidden by the config's `ignores`.
const scratch = mkdtempSync(join(tmpdir(), 'docs-lint-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
copyFileSync(join(repoRoot, '.markdownlint-cli2.jsonc'), join(scratch, '.markdownlint-cli2.jsonc'));

function lint(source: string): { status: number | null; output: string } {
  copyFileSync(source, join(scratch, 'ANSWERS.md'));
  const run = spawnSync(join(repoRoot, 'node_modules/.bin/markdownlint-cli2'), ['ANSWERS.md'], {
    cwd: scratch,
    encoding: 'utf8',
  });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('markdownlint config', () => {
  test('rejects a file that breaks the rules, naming each rule and line', () => {
    const { status, output } = lint(join(repoRoot, 'test/docs/fixtures/lint-violations.md'));
    assert.equal(status, 1, output);
    assert.match(output, /ANSWERS\.md:2 .*MD022/);
    assert.match(output, /ANSWERS\.md:4:101 .*MD013/);
  });

  test('accepts ANSWERS.md', () => {
    const { status, output } = lint(join(repoRoot, 'ANSWERS.md'));
    assert.equal(status, 0, output);
  });
});
