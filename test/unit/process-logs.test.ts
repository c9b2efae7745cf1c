import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { ExitCode, UserError } from '../../scripts/lib/exit-codes.ts';
import { JOURNAL_NAME, LOCK_NAME, processLogs } from '../../scripts/lib/log-mover.ts';
import { splitName, targetName, timestamp } from '../../scripts/lib/log-names.ts';
import { Logger } from '../../scripts/lib/logger.ts';
import { fromRoot } from '../../scripts/lib/paths.ts';

const NOW = new Date(2026, 10, 22, 2, 0, 0);
const STAMP = '20261122_020000';
const LOADER = fromRoot('node_modules/tsx/dist/loader.mjs');
const SCRIPT = fromRoot('scripts/process-logs.ts');
const isRoot = process.getuid?.() === 0;

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function workspace(files: Record<string, string> = {}): { base: string; src: string; dst: string } {
  const base = mkdtempSync(join(tmpdir(), 'process-logs-'));
  roots.push(base);
  const src = join(base, 'ARQUIVOS');
  mkdirSync(src);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(src, name), content);
  return { base, src, dst: join(base, 'ARQUIVOS_PROCESSADOS') };
}

function capture(json = false): { log: Logger; lines: () => string[] } {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    log: new Logger({ json, color: false, stdout: sink, stderr: sink }),
    lines: () => text.split('\n').filter(Boolean),
  };
}

/** Every file name in dest with its content, sorted. */
function contents(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => `${name}=${readFileSync(join(dir, name), 'utf8')}`)
    .sort();
}

describe('file names', () => {
  test('stem and extension rules', () => {
    const cases: Record<string, string> = {
      'log_para_processamento_1.log': `log_para_processamento_1_${STAMP}.log`,
      noext: `noext_${STAMP}`,
      '.hidden': `.hidden_${STAMP}`,
      '.env.local': `.env_${STAMP}.local`,
      'a.b.c.log': `a.b.c_${STAMP}.log`,
      'archive.tar.gz': `archive_${STAMP}.tar.gz`,
      'app.log.2.gz': `app.log_${STAMP}.2.gz`,
      'trailing.': `trailing_${STAMP}.`,
      '-dash.log': `-dash_${STAMP}.log`,
    };
    for (const [name, want] of Object.entries(cases)) assert.equal(targetName(name, STAMP), want, name);
    assert.equal(targetName('a.log', STAMP, 2), `a_${STAMP}_2.log`);
    assert.deepEqual(splitName('.gz'), { stem: '.gz', ext: '' });
  });

  test('the timestamp is local time and honours TZ', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'America/Sao_Paulo';
      assert.equal(timestamp(new Date(Date.UTC(2026, 10, 22, 5, 0, 0))), STAMP);
      process.env.TZ = 'UTC';
      assert.equal(timestamp(new Date(Date.UTC(2026, 10, 22, 5, 0, 0))), '20261122_050000');
    } finally {
      process.env.TZ = saved;
      if (saved === undefined) delete process.env.TZ;
    }
  });

  test('a --format that would put a dot, slash or colon in the name is refused', () => {
    for (const bad of ['yyyy.MM.dd', 'yyyy/MM/dd', 'HH:mm', 'P', 'yyyyMMdd_HHmmss.SSS', "'.'"]) {
      assert.throws(() => timestamp(NOW, bad), UserError, bad);
    }
    assert.throws(
      () => timestamp(NOW, 'yyyyMMdd_HHmmssX_not_a_token_q'),
      /not a valid date-fns format|produces/,
    );
    assert.equal(timestamp(NOW, "yyyy-MM-dd'T'HHmmss"), '2026-11-22T020000');
  });
});

describe('processLogs on real folders', () => {
  test('moves every kind of name, creates the destination, keeps the content', async () => {
    const names = [
      'log_para_processamento_1.log',
      'with space.log',
      'ünïcødé ✓.txt',
      '-rf',
      'noext',
      'a.b.c.log',
      '.hidden',
    ];
    const { src, dst } = workspace(Object.fromEntries(names.map((n) => [n, `content of ${n}`])));
    mkdirSync(join(src, 'subdir'));
    execFileSync('ln', ['-s', 'noext', join(src, 'a-symlink')]);
    const out = capture();
    const summary = await processLogs({ source: src, dest: dst, log: out.log, now: NOW });
    assert.deepEqual(
      { moved: summary.moved, skipped: summary.skipped, failed: summary.failed, exitCode: summary.exitCode },
      { moved: 7, skipped: 2, failed: 0, exitCode: 0 },
    );
    assert.deepEqual(readdirSync(src).sort(), ['a-symlink', 'subdir']);
    assert.deepEqual(contents(dst), names.map((n) => `${targetName(n, STAMP)}=content of ${n}`).sort());
    const lines = out.lines();
    assert.ok(lines.some((l) => l.includes('created destination')));
    assert.ok(
      lines.some((l) => /start: moving 7 file\(s\) from .*ARQUIVOS to .*ARQUIVOS_PROCESSADOS/.test(l)),
    );
    assert.ok(lines.some((l) => l.includes(`moved "with space.log" -> "with space_${STAMP}.log"`)));
    assert.ok(lines.some((l) => l.includes(`moved -rf -> -rf_${STAMP}`)));
    assert.ok(lines.some((l) => l.includes('skipped subdir: directory')));
    assert.ok(lines.some((l) => l.includes('skipped a-symlink: symlink')));
    assert.ok(lines.some((l) => l.includes('summary: moved 7, skipped 2, failed 0')));
    assert.ok(
      !existsSync(join(src, LOCK_NAME)) && !existsSync(join(src, JOURNAL_NAME)),
      'lock and journal removed',
    );
  });

  test('a taken name gets _1, _2 and nothing is overwritten', async () => {
    const { src, dst } = workspace({ 'a.log': 'new' });
    mkdirSync(dst);
    writeFileSync(join(dst, `a_${STAMP}.log`), 'old0');
    writeFileSync(join(dst, `a_${STAMP}_1.log`), 'old1');
    const summary = await processLogs({ source: src, dest: dst, log: capture().log, now: NOW });
    assert.equal(summary.moved, 1);
    assert.deepEqual(contents(dst), [`a_${STAMP}.log=old0`, `a_${STAMP}_1.log=old1`, `a_${STAMP}_2.log=new`]);
  });

  test('empty source: exit 0 and says there is nothing to do', async () => {
    const { src, dst } = workspace();
    const out = capture();
    const summary = await processLogs({ source: src, dest: dst, log: out.log, now: NOW });
    assert.equal(summary.exitCode, ExitCode.ok);
    assert.ok(out.lines().some((l) => l.includes('nothing to do')));
  });

  test('missing source or a file as source: exit 2 naming the path and the fix, nothing created', async () => {
    const { base, dst } = workspace();
    const missing = join(base, 'nope');
    await assert.rejects(
      processLogs({ source: missing, dest: dst, log: capture().log }),
      (error: UserError) => {
        assert.equal(error.exitCode, ExitCode.usage);
        assert.match(error.message, new RegExp(`${missing} does not exist`));
        assert.match(error.hint ?? '', /mkdir -p/);
        return true;
      },
    );
    writeFileSync(join(base, 'file'), 'x');
    await assert.rejects(
      processLogs({ source: join(base, 'file'), dest: dst, log: capture().log }),
      /is not a directory/,
    );
    assert.ok(!existsSync(dst));
  });

  test('--min-age skips files modified too recently', async () => {
    const { src, dst } = workspace({ 'old.log': 'o', 'fresh.log': 'f' });
    const old = new Date(NOW.getTime() - 3600_000);
    utimesSync(join(src, 'old.log'), old, old);
    utimesSync(join(src, 'fresh.log'), NOW, NOW);
    const out = capture();
    const summary = await processLogs({ source: src, dest: dst, log: out.log, now: NOW, minAgeSeconds: 300 });
    assert.deepEqual([summary.moved, summary.skipped], [1, 1]);
    assert.deepEqual(readdirSync(src), ['fresh.log']);
    assert.ok(out.lines().some((l) => /skipped fresh.log: too recent/.test(l)));
  });

  test('--dry-run prints the plan and changes nothing', async () => {
    const { src, dst } = workspace({ 'a.log': 'x' });
    const out = capture();
    const summary = await processLogs({ source: src, dest: dst, log: out.log, now: NOW, dryRun: true });
    assert.equal(summary.moved, 1);
    assert.ok(out.lines().some((l) => l.includes(`would move a.log -> a_${STAMP}.log`)));
    assert.ok(!existsSync(dst));
    assert.deepEqual(readdirSync(src), ['a.log']);
  });

  test('--json logs one object per line with the event', async () => {
    const { src, dst } = workspace({ 'a.log': 'x' });
    const out = capture(true);
    await processLogs({ source: src, dest: dst, log: out.log, now: NOW });
    const events = out.lines().map((l) => JSON.parse(l).event);
    assert.deepEqual(events, [undefined, 'start', 'moved', 'summary']);
  });
});

describe('one run at a time', () => {
  test('a lock held by a live process: exit 3, nothing touched', async () => {
    const { src, dst } = workspace({ 'a.log': 'x' });
    const holder = execFileSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], {
      encoding: 'utf8',
    }).trim();
    try {
      writeFileSync(join(src, LOCK_NAME), `${holder}\n`);
      await assert.rejects(
        processLogs({ source: src, dest: dst, log: capture().log }),
        (error: UserError) => {
          assert.equal(error.exitCode, ExitCode.busy);
          assert.match(error.message, new RegExp(`PID ${holder}`));
          return true;
        },
      );
      assert.deepEqual(readdirSync(src).sort(), [LOCK_NAME, 'a.log'].sort());
      assert.equal(readFileSync(join(src, LOCK_NAME), 'utf8'), `${holder}\n`);
    } finally {
      process.kill(Number(holder));
    }
  });

  test('a stale lock of a dead process is taken over', async () => {
    const { src, dst } = workspace({ 'a.log': 'x' });
    const dead = spawnSync('true').pid;
    writeFileSync(join(src, LOCK_NAME), `${dead}\n`);
    const out = capture();
    const summary = await processLogs({ source: src, dest: dst, log: out.log, now: NOW });
    assert.equal(summary.moved, 1);
    assert.ok(out.lines().some((l) => l.includes(`stale lock left by PID ${dead}`)));
    assert.deepEqual(readdirSync(src), []);
  });

  test('two CLI runs at once: one moves everything, the other exits 3 or finds nothing', async () => {
    const files = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`f${i}.log`, String(i)]));
    const { base, dst } = workspace(files);
    const run = () =>
      new Promise<number>((done) => {
        const child = spawn(process.execPath, ['--import', LOADER, SCRIPT, '--base-dir', base, '--quiet'], {
          stdio: 'ignore',
        });
        child.on('exit', (code) => done(code ?? -1));
      });
    const codes = await Promise.all([run(), run()]);
    assert.ok(codes.includes(0), `codes ${codes}`);
    assert.ok(
      codes.every((c) => c === 0 || c === ExitCode.busy),
      `codes ${codes}`,
    );
    assert.equal(readdirSync(dst).length, 3000);
  });
});

describe('failures and other filesystems', () => {
  test('unwritable destination: each failure logged with the OS error, exit 1, nothing lost', (t) => {
    if (!isRoot)
      return t.skip('needs root to run the mover as an unprivileged user (root bypasses permissions)');
    // Root ignores permission bits, so the run happens as `nobody` via setpriv: the source is
    // nobody's, the destination root's and read-only to others.
    const { base, src, dst } = workspace({ 'a.log': 'a', 'b.log': 'b' });
    chmodSync(base, 0o755);
    chownSync(src, 65534, 65534);
    mkdirSync(dst, { mode: 0o755 });
    const result = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--import',
        LOADER,
        SCRIPT,
        '--base-dir',
        base,
      ],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, cwd: '/' },
    );
    assert.equal(result.status, ExitCode.partialFailure, result.stderr);
    assert.match(result.stderr, /failed a\.log: EACCES: permission denied/);
    assert.match(result.stderr, /summary: moved 0, skipped 0, failed 2/);
    assert.deepEqual(readdirSync(src).sort(), ['a.log', 'b.log']);
    assert.deepEqual(readdirSync(dst), []);
  });

  test('cross-device move (tmpfs): copy, fsync, verify, unlink; content and mtime kept', async (t) => {
    const { base, src } = workspace({ 'a.log': 'a'.repeat(100_000), 'b.log': 'b' });
    const mnt = join(base, 'mnt');
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (mounted.status !== 0)
      return t.skip(`cannot mount a tmpfs here (needs root): ${mounted.stderr.trim()}`);
    try {
      const old = new Date(2026, 0, 1);
      utimesSync(join(src, 'a.log'), old, old);
      const dst = join(mnt, 'out');
      const out = capture();
      const summary = await processLogs({ source: src, dest: dst, log: out.log, now: NOW });
      assert.deepEqual([summary.moved, summary.failed], [2, 0]);
      assert.ok(out.lines().some((l) => l.includes('another filesystem')));
      assert.deepEqual(contents(dst), [`a_${STAMP}.log=${'a'.repeat(100_000)}`, `b_${STAMP}.log=b`]);
      assert.equal(statSync(join(dst, `a_${STAMP}.log`)).mtimeMs, old.getTime());
      assert.deepEqual(readdirSync(src), []);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

describe('a killed run is finished by the next', () => {
  function journal(src: string, dest: string, runTag: string, entries: Array<[string, number]>): void {
    const lines = [
      JSON.stringify({ stamp: STAMP, dest, runTag }),
      'B',
      ...entries.map((e) => JSON.stringify(e)),
    ];
    writeFileSync(join(src, JOURNAL_NAME), `${lines.join('\n')}\n`);
  }

  test('killed between link and unlink: the source is dropped, not moved twice', async () => {
    const { src, dst } = workspace({ 'a.log': 'a', 'b.log': 'b' });
    mkdirSync(dst);
    linkSync(join(src, 'a.log'), join(dst, `a_${STAMP}.log`));
    journal(src, dst, '1-1', [
      ['a.log', 0],
      ['b.log', 1],
    ]);
    const summary = await processLogs({ source: src, dest: dst, log: capture().log, now: NOW });
    assert.deepEqual([summary.recovered, summary.moved], [1, 1]);
    assert.deepEqual(contents(dst), [`a_${STAMP}.log=a`, `b_${STAMP}.log=b`]);
    assert.deepEqual(readdirSync(src), []);
  });

  test('killed mid-copy to another filesystem: the partial copy is rolled back, the file moved once', async () => {
    const { src, dst } = workspace({ 'a.log': 'full content' });
    mkdirSync(dst);
    writeFileSync(join(dst, '.process-logs-9-9-0.partial'), 'full');
    journal(src, dst, '9-9', [['a.log', 0]]);
    const summary = await processLogs({ source: src, dest: dst, log: capture().log, now: NOW });
    assert.deepEqual([summary.recovered, summary.moved], [0, 1]);
    assert.deepEqual(contents(dst), [`a_${STAMP}.log=full content`]);
  });

  test('killed after the copy was linked into place: finished without a second copy', async () => {
    const { src, dst } = workspace({ 'a.log': 'done' });
    mkdirSync(dst);
    writeFileSync(join(dst, '.process-logs-9-9-0.partial'), 'done');
    linkSync(join(dst, '.process-logs-9-9-0.partial'), join(dst, `a_${STAMP}.log`));
    journal(src, dst, '9-9', [['a.log', 0]]);
    const summary = await processLogs({ source: src, dest: dst, log: capture().log, now: NOW });
    assert.deepEqual([summary.recovered, summary.moved], [1, 0]);
    assert.deepEqual(contents(dst), [`a_${STAMP}.log=done`]);
    assert.deepEqual(readdirSync(src), []);
  });

  for (const where of ['same filesystem', 'tmpfs destination']) {
    test(`SIGKILL mid-way then re-run (${where}): zero lost, zero duplicated`, async (t) => {
      const count = 6000;
      const { base, src } = workspace();
      execFileSync('sh', ['-c', `seq 0 ${count - 1} | sed 's/.*/f&.log/' | xargs touch`], { cwd: src });
      let dst = join(base, 'ARQUIVOS_PROCESSADOS');
      let mnt: string | undefined;
      if (where !== 'same filesystem') {
        mnt = join(base, 'mnt');
        mkdirSync(mnt);
        const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mnt], {
          encoding: 'utf8',
        });
        if (mounted.status !== 0)
          return t.skip(`cannot mount a tmpfs here (needs root): ${mounted.stderr.trim()}`);
        dst = join(mnt, 'out');
      }
      try {
        const args = ['--import', LOADER, SCRIPT, '--source', src, '--dest', dst];
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
        let seen = 0;
        await new Promise<void>((done) => {
          child.stdout.on('data', (chunk: Buffer) => {
            seen += chunk.toString().match(/ moved /g)?.length ?? 0;
            if (seen > 1000 && child.exitCode === null && !child.killed) {
              child.kill('SIGKILL');
              done();
            }
          });
          child.on('exit', () => done());
        });
        if (child.exitCode === null && child.signalCode === null)
          await new Promise((r) => child.once('exit', r));
        const left = readdirSync(src).filter((n) => n.endsWith('.log')).length;
        assert.ok(left > 0 && left < count, `killed mid-way (${left} of ${count} left)`);
        const rerun = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
        assert.equal(rerun.status, 0, `${rerun.stderr}\n${rerun.stdout.split('\n').slice(-5).join('\n')}`);
        assert.match(rerun.stdout, /took over a stale lock|start:/);
        assert.deepEqual(readdirSync(src), []);
        const moved = readdirSync(dst).filter((n) => !n.startsWith('.'));
        assert.equal(readdirSync(dst).length, moved.length, 'no partial copy left behind');
        // Back to the original name: the same file under two names (a_TS.log, a_TS_1.log) would collapse.
        const seenContent = new Set(moved.map((n) => n.replace(/_\d{8}_\d{6}(_\d+)?\.log$/, '.log')));
        assert.equal(moved.length, count, 'every file exactly once');
        assert.equal(seenContent.size, count, 'no file twice under two names');
      } finally {
        if (mnt) execFileSync('umount', [mnt]);
      }
    });
  }
});

describe('scale', () => {
  test('100,000 files in one run', async () => {
    const count = 100_000;
    const { src, dst } = workspace();
    // touch through xargs: creating 100,000 files one by one from node would dominate the test.
    execFileSync('sh', ['-c', `seq 0 ${count - 1} | sed 's/.*/log_&.log/' | xargs touch`], { cwd: src });
    const summary = await processLogs({
      source: src,
      dest: dst,
      log: new Logger({ quiet: true, stdout: new Writable({ write: (_c, _e, d) => d() }) }),
      now: NOW,
    });
    assert.deepEqual([summary.moved, summary.failed], [count, 0]);
    assert.equal(readdirSync(dst).length, count);
    assert.equal(readdirSync(src).length, 0);
  });
});
