import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ciRelease } from '../../scripts/lib/ci-ref.ts';
import { UserError } from '../../scripts/lib/exit-codes.ts';

describe('ciRelease (gitflow image tags and environments)', () => {
  it('develop pushes develop-<short sha> and deploys to dev', () => {
    assert.deepEqual(ciRelease({ CI_COMMIT_BRANCH: 'develop', CI_COMMIT_SHORT_SHA: 'abc12345' }), {
      version: 'develop-abc12345',
      extraTags: [],
      environment: 'dev',
    });
  });

  it('release/* and hotfix/* push <version>-rc.<pipeline iid> to staging', () => {
    const env = { CI_PIPELINE_IID: '42' };
    assert.equal(ciRelease({ ...env, CI_COMMIT_BRANCH: 'release/1.2.0' }).version, '1.2.0-rc.42');
    assert.deepEqual(ciRelease({ ...env, CI_COMMIT_BRANCH: 'hotfix/1.2.1' }), {
      version: '1.2.1-rc.42',
      extraTags: [],
      environment: 'staging',
    });
  });

  it('a vX.Y.Z tag pushes X.Y.Z, X.Y and latest to production', () => {
    assert.deepEqual(ciRelease({ CI_COMMIT_TAG: 'v1.2.0' }), {
      version: '1.2.0',
      extraTags: ['1.2', 'latest'],
      environment: 'production',
    });
  });

  it('refuses refs that publish nothing or do not name a version, saying what to do', () => {
    for (const env of [
      { CI_COMMIT_BRANCH: 'feature/x' },
      { CI_COMMIT_BRANCH: 'main' },
      { CI_COMMIT_BRANCH: 'release/next', CI_PIPELINE_IID: '1' },
      { CI_COMMIT_TAG: '1.2.0' },
      { CI_COMMIT_TAG: 'v1.2' },
    ]) {
      assert.throws(() => ciRelease(env), UserError, JSON.stringify(env));
    }
  });
});
