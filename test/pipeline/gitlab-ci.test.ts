import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { stringify } from 'yaml';
import { fromRoot } from '../../scripts/lib/paths.ts';
import {
  committedCheckout,
  initGit,
  listJobs,
  loadPipeline,
  type RefVariables,
  runJobs,
  scratchRepo,
} from './gitlab-ci-local.ts';

// gitlab-ci-local is the interpreter of .gitlab-ci.yml here: it evaluates every job's rules for
// the variables a ref kind sets. It applies workflow:rules only for their variables, not to
// drop the pipeline, so the workflow rules are evaluated by the same engine through a probe
// job that carries them verbatim.

const BRANCH_PUSH = (branch: string): RefVariables => ({
  CI_PIPELINE_SOURCE: 'push',
  CI_COMMIT_BRANCH: branch,
  CI_COMMIT_REF_NAME: branch,
  CI_COMMIT_TAG: undefined,
});

const REFS: Record<string, { vars: RefVariables; jobs: string[] }> = {
  'feature branch': { vars: BRANCH_PUSH('feature/comments-api'), jobs: ['lint', 'test'] },
  'feature branch with an open merge request (its push pipeline)': {
    vars: { ...BRANCH_PUSH('feature/comments-api'), CI_OPEN_MERGE_REQUESTS: 'shipay/toolkit!7' },
    jobs: [],
  },
  'merge request': {
    vars: {
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_COMMIT_BRANCH: undefined,
      CI_COMMIT_TAG: undefined,
      CI_COMMIT_REF_NAME: 'feature/comments-api',
      CI_MERGE_REQUEST_IID: '7',
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature/comments-api',
      CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'develop',
    },
    jobs: ['lint', 'test'],
  },
  develop: { vars: BRANCH_PUSH('develop'), jobs: ['lint', 'test', 'build', 'push', 'deploy:dev'] },
  'release/1.2.0': {
    vars: BRANCH_PUSH('release/1.2.0'),
    jobs: ['lint', 'test', 'build', 'push', 'deploy:staging'],
  },
  'hotfix/1.2.1': {
    vars: BRANCH_PUSH('hotfix/1.2.1'),
    jobs: ['lint', 'test', 'build', 'push', 'deploy:staging'],
  },
  main: { vars: BRANCH_PUSH('main'), jobs: ['lint', 'test'] },
  'tag v1.2.0': {
    vars: {
      CI_PIPELINE_SOURCE: 'push',
      CI_COMMIT_BRANCH: undefined,
      CI_COMMIT_TAG: 'v1.2.0',
      CI_COMMIT_REF_NAME: 'v1.2.0',
    },
    jobs: ['lint', 'test', 'build', 'push', 'deploy:production (manual)'],
  },
  'tag that is not vX.Y.Z': {
    vars: {
      CI_PIPELINE_SOURCE: 'push',
      CI_COMMIT_BRANCH: undefined,
      CI_COMMIT_TAG: 'nightly',
      CI_COMMIT_REF_NAME: 'nightly',
    },
    jobs: [],
  },
};

describe('.gitlab-ci.yml as gitlab-ci-local runs it', () => {
  const text = readFileSync(fromRoot('.gitlab-ci.yml'), 'utf8');
  const pipeline = loadPipeline(text);
  const probe = stringify({
    stages: ['test'],
    'workflow-probe': {
      stage: 'test',
      script: ['true'],
      rules: (pipeline.workflow as { rules: unknown }).rules,
    },
  });
  const repo = scratchRepo({ '.gitlab-ci.yml': text, 'workflow-probe.yml': probe });
  before(() => initGit(repo.dir));
  after(() => repo.remove());

  for (const [kind, { vars, jobs }] of Object.entries(REFS)) {
    it(`${kind}: ${jobs.length ? jobs.join(', ') : 'no pipeline'}`, async () => {
      const [probeJob] = await listJobs(repo.dir, vars, 'workflow-probe.yml');
      const pipelineRuns = probeJob?.when !== 'never';
      const listed = pipelineRuns ? await listJobs(repo.dir, vars) : [];
      const running = listed
        .filter((job) => job.when !== 'never')
        .map((job) => (job.when === 'manual' ? `${job.name} (manual)` : job.name));
      assert.deepEqual(running, jobs);
    });
  }
});

describe('.gitlab-ci.yml against GitLab CI JSON schema', () => {
  // Vendored from gitlab-ci-local 4.72.0's bundle, which ships gitlab-org/gitlab's
  // app/assets/javascripts/editor/schema/ci.json (see test/fixtures/gitlab-ci/README.md).
  const schema = JSON.parse(readFileSync(fromRoot('test/fixtures/gitlab-ci/schema.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(schema);

  it('validates', () => {
    const ok = validate(loadPipeline());
    assert.ok(ok, ajv.errorsText(validate.errors, { separator: '\n' }));
  });

  it('rejects a broken pipeline (the validator can fail)', () => {
    const broken = loadPipeline();
    (broken.lint as Record<string, unknown>).when = 'sometimes';
    (broken.test as Record<string, unknown>).scriptt = ['oops'];
    assert.equal(validate(broken), false);
    assert.match(ajv.errorsText(validate.errors), /when|additional/);
  });

  it('keeps the conventions: templates via extends, resource groups and environments on deploys', () => {
    const pipeline = loadPipeline();
    for (const env of ['dev', 'staging', 'production']) {
      const job = pipeline[`deploy:${env}`] as Record<string, unknown>;
      assert.equal(job.resource_group, env);
      assert.equal((job.environment as { name: string }).name, env);
      assert.match((job.environment as { url: string }).url, /^https:\/\//);
      assert.equal(job.extends, '.deploy');
    }
    assert.deepEqual(pipeline.stages, ['lint', 'test', 'build', 'push', 'deploy']);
  });
});

describe('lint and test jobs, run for real by gitlab-ci-local (shell executor)', () => {
  // On the committed tree, as a runner checks it out. The test job runs `npm run test:unit`;
  // these pipeline tests live in test/pipeline/ so that run does not recurse into them.
  it('pass on a feature branch', { timeout: 600_000 }, async () => {
    const checkout = await committedCheckout();
    try {
      const log = await runJobs(checkout.dir, ['lint', 'test'], BRANCH_PUSH('feature/comments-api'));
      assert.match(log, /PASS\s+lint/);
      assert.match(log, /PASS\s+test/);
      assert.match(log, /lint > .*Checked \d+ files/);
      // The unit suite really ran inside the job (not skipped as a nested run) and passed.
      assert.match(log, /test > ℹ pass [1-9]\d*/);
      assert.match(log, /test > ℹ fail 0/);
    } finally {
      checkout.remove();
    }
  });
});
