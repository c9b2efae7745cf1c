import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '../../scripts/lib/logger.ts';
import { captureStream } from '../support/capture.ts';

function capture(options: ConstructorParameters<typeof Logger>[0] = {}) {
  const out = captureStream();
  const err = captureStream();
  const clock = () => new Date(2026, 10, 22, 2, 0, 5);
  const log = new Logger({ color: false, clock, ...options, stdout: out.stream, stderr: err.stream });
  return {
    log,
    chunks: {
      get out() {
        return out.text();
      },
      get err() {
        return err.text();
      },
    },
  };
}

/** Start of every ANSI colour sequence. */
const ESC = '\u001b[';

describe('Logger', () => {
  it('writes timestamped text with fields, info to stdout and errors to stderr', () => {
    const { log, chunks } = capture();
    log.info('moved a -> b', { size: 3, name: 'has space' });
    log.error('failed', { code: 'EACCES' });
    assert.equal(chunks.out, '2026-11-22 02:00:05 INFO  moved a -> b size=3 name="has space"\n');
    assert.equal(chunks.err, '2026-11-22 02:00:05 ERROR failed code=EACCES\n');
  });

  it('writes one JSON object per line, every level on stdout, with bound fields', () => {
    const { log, chunks } = capture({ json: true });
    log.child({ run: 'r1' }).warn('skip', { reason: 'symlink' });
    const record = JSON.parse(chunks.out.trim());
    assert.equal(record.level, 'warn');
    assert.equal(record.msg, 'skip');
    assert.equal(record.reason, 'symlink');
    assert.equal(record.run, 'r1');
    assert.match(record.time, /^2026-11-22T02:00:05\.000[+-]\d\d:\d\d$/);
    assert.equal(chunks.err, '');
  });

  it('--quiet keeps warnings and errors only; debug needs --verbose', () => {
    const { log, chunks } = capture({ quiet: true });
    log.info('hidden');
    log.debug('hidden too');
    log.warn('shown');
    assert.equal(chunks.out, '');
    assert.match(chunks.err, /WARN {2}shown/);
    const verbose = capture({ verbose: true });
    verbose.log.debug('details');
    assert.match(verbose.chunks.out, /DEBUG details/);
  });

  it('colours only when asked, and NO_COLOR wins over a TTY', () => {
    const coloured = capture({ color: true });
    coloured.log.info('x');
    assert.ok(coloured.chunks.out.includes(ESC));
    const plain = capture();
    plain.log.info('x');
    assert.ok(!plain.chunks.out.includes(ESC));
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      const tty = captureStream({ isTTY: true });
      new Logger({ stdout: tty.stream }).info('x');
      assert.ok(!tty.text().includes(ESC));
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});
