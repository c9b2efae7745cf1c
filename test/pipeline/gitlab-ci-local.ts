import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { parse, type Tags } from 'yaml';
import { fromRoot } from '../../scripts/lib/paths.ts';

const exec = promisify(execFile);
const GCL = fromRoot('node_modules', '.bin', 'gitlab-ci-local');

/** GitLab's `!reference [job, key]` tag, kept as the list of keys it points at. */
const REFERENCE: Tags = [{ tag: '!reference', collection: 'seq', resolve: (seq) => seq }];

export function loadPipeline(
  text = readFileSync(fromRoot('.gitlab-ci.yml'), 'utf8'),
): Record<string, unknown> {
  return parse(text, { customTags: REFERENCE }) as Record<string, unknown>;
}

/** The predefined variables a pipeline of each kind of ref sees (GitLab docs, predefined variables). */
export type RefVariables = Record<string, string | undefined>;

/**
 * A throwaway git repository holding `files`, so gitlab-ci-local's state directory and git
 * lookups never touch the working tree.
 */
export function scratchRepo(files: Record<string, string>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gcl-'));
  // Readable like a runner's checkout: some unit tests drop to an unprivileged user.
  chmodSync(dir, 0o755);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const remove = () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.gcl-state`, { recursive: true, force: true });
  };
  return { dir, remove };
}

export async function initGit(dir: string): Promise<void> {
  const git = (...args: string[]) =>
    exec('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], { cwd: dir });
  await git('init', '-q', '-b', 'main');
  await git('remote', 'add', 'origin', 'https://gitlab.example.com/shipay/toolkit.git');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'pipeline under test');
}

function gclArgs(vars: RefVariables): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) args.push('--unset-variable', name);
    else args.push('--variable', `${name}=${value}`);
  }
  return args;
}

const { NODE_TEST_CONTEXT: _nested, ...outerEnv } = process.env;
const GCL_ENV = {
  // Without NODE_TEST_CONTEXT, or node's test runner inside the test job would see it is nested and skip every file.
  ...outerEnv,
  // We set predefined variables on purpose: that is how a ref kind is simulated.
  GCL_IGNORE_PREDEFINED_VARS: 'CI_COMMIT_BRANCH,CI_COMMIT_TAG,CI_PIPELINE_SOURCE,CI_COMMIT_REF_NAME',
  NO_COLOR: '1',
};

export interface ListedJob {
  name: string;
  when: string;
}

/** gitlab-ci-local's own view of the jobs for these variables (`--list-json`, rules evaluated). */
export async function listJobs(dir: string, vars: RefVariables, file?: string): Promise<ListedJob[]> {
  const { stdout } = await exec(
    GCL,
    ['--list-json', '--json-schema-validation=false', ...(file ? ['--file', file] : []), ...gclArgs(vars)],
    {
      cwd: dir,
      env: GCL_ENV,
    },
  );
  return JSON.parse(stdout.slice(stdout.indexOf('['))) as ListedJob[];
}

/** Runs jobs for real with the shell executor; returns the combined log. */
export async function runJobs(dir: string, jobs: string[], vars: RefVariables): Promise<string> {
  try {
    // The state dir (holding the job's build copy) goes beside the checkout, not inside it:
    // biome refuses a build copy nested under the project's own biome.json.
    const args = ['--force-shell-executor', '--state-dir', `../${basename(dir)}.gcl-state`, ...gclArgs(vars)];
    const { stdout, stderr } = await exec(GCL, [...args, ...jobs], {
      cwd: dir,
      env: GCL_ENV,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `gitlab-ci-local failed: ${e.message}\n${(e.stdout ?? '').slice(-4000)}${e.stderr ?? ''}`,
    );
  }
}

/** The committed tree (what a GitLab runner checks out) with this checkout's node_modules linked in. */
export async function committedCheckout(): Promise<{ dir: string; remove: () => void }> {
  const scratch = scratchRepo({});
  await exec('sh', ['-c', `git archive HEAD | tar -x -C "${scratch.dir}"`], { cwd: fromRoot() });
  symlinkSync(fromRoot('node_modules'), join(scratch.dir, 'node_modules'));
  await initGit(scratch.dir);
  return scratch;
}
