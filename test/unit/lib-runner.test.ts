import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '../../scripts/lib/logger.ts';
import { CommandFailedError, Runner } from '../../scripts/lib/runner.ts';
import { formatCommand } from '../../scripts/lib/shell-quote.ts';
import { captureStream } from '../support/capture.ts';

function runner(dryRun: boolean, json = false) {
  const out = captureStream();
  const log = new Logger({ json, color: false, stdout: out.stream, stderr: out.stream });
  return { runner: new Runner(log, dryRun), output: out.text };
}

describe('formatCommand', () => {
  it('leaves plain words alone and quotes the rest so a shell gets the same argv', () => {
    assert.equal(formatCommand(['docker', 'build', '-t', 'a/b:1.0', '.']), 'docker build -t a/b:1.0 .');
    assert.equal(formatCommand(['echo', 'a b', "it's", '']), `echo 'a b' 'it'\\''s' ''`);
  });
});

describe('Runner', () => {
  it('runs commands with arguments passed verbatim (no shell injection)', async () => {
    const { runner: r } = runner(false);
    const result = await r.run(['printf', '%s|', 'a b', '$(id)', ';rm -rf /']);
    assert.equal(result.stdout, 'a b|$(id)|;rm -rf /|');
  });

  it('feeds stdin without printing it', async () => {
    const { runner: r, output } = runner(false);
    const result = await r.run(['cat'], { input: 's3cret-token' });
    assert.equal(result.stdout, 's3cret-token');
    assert.doesNotMatch(output(), /s3cret/);
  });

  it('gives commands that read stdin an immediate EOF when there is no input', async () => {
    const { runner: r } = runner(false);
    assert.equal((await r.run(['cat'])).stdout, '');
    assert.equal((await r.run(['cat'], { input: '' })).stdout, '');
  });

  it('throws CommandFailedError naming the command and its stderr, or returns with nothrow', async () => {
    const { runner: r } = runner(false);
    await assert.rejects(r.run(['sh', '-c', 'echo broken >&2; exit 3']), (error: unknown) => {
      assert.ok(error instanceof CommandFailedError);
      assert.equal(error.result.exitCode, 3);
      assert.match(error.message, /exit 3.*\n.*broken/s);
      return true;
    });
    assert.equal((await r.run(['false'], { nothrow: true })).exitCode, 1);
  });

  it('under --dry-run prints copy-pasteable commands with secrets redacted and runs nothing', async () => {
    const { runner: r, output } = runner(true);
    const result = await r.run(['touch', '/nonexistent-dir/should-not-exist'], {});
    await r.run(['docker', 'login', '-p', 'hunter2', 'x y'], { redact: ['hunter2'] });
    assert.equal(result.dryRun, true);
    assert.equal(output(), "+ touch /nonexistent-dir/should-not-exist\n+ docker login -p *** 'x y'\n");
    assert.deepEqual(r.history, ['touch /nonexistent-dir/should-not-exist', "docker login -p *** 'x y'"]);
  });

  it('still runs read-only queries under --dry-run', async () => {
    const { runner: r } = runner(true);
    const result = await r.query(['echo', 'looked up']);
    assert.equal(result.stdout.trim(), 'looked up');
  });

  it('reports dry-run commands as JSON records in --json mode', async () => {
    const { runner: r, output } = runner(true, true);
    await r.run(['helm', 'upgrade', 'a b']);
    const record = JSON.parse(output().trim());
    assert.equal(record.msg, 'dry-run');
    assert.equal(record.command, "helm upgrade 'a b'");
  });
});
