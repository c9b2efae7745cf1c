import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { $ } from 'zx';
import { nonNegativeInt, requireSetting, setting } from '../../scripts/lib/config.ts';
import { UserError } from '../../scripts/lib/exit-codes.ts';
import { imageCoordinates, imageRef, validateTag } from '../../scripts/lib/images.ts';

describe('setting precedence', () => {
  it('takes the flag, then the environment, then the default', () => {
    process.env.TEST_SETTING_X = 'from-env';
    assert.equal(setting('from-flag', 'TEST_SETTING_X', 'default'), 'from-flag');
    assert.equal(setting(undefined, 'TEST_SETTING_X', 'default'), 'from-env');
    delete process.env.TEST_SETTING_X;
    assert.equal(setting(undefined, 'TEST_SETTING_X', 'default'), 'default');
  });

  it('lets the environment win over .env, and .env fill what the environment lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dotenv-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'A_FROM_FILE=file\nB_BOTH=file\n');
    const probe = `import { loadDotenv } from '${process.cwd()}/scripts/lib/config.ts';
      loadDotenv(); console.log(process.env.A_FROM_FILE + ',' + process.env.B_BOTH);`;
    const out = await $({
      env: { ...process.env, DOTENV_PATH: file, B_BOTH: 'env' },
      cwd: dir,
    })`npx --no-install --prefix ${process.cwd()} tsx --eval ${probe}`;
    assert.equal(out.stdout.trim(), 'file,env');
  });

  it('names the setting in errors', () => {
    assert.throws(() => nonNegativeInt('1.5', '--min-age'), /--min-age must be a whole number.*'1\.5'/);
    assert.equal(nonNegativeInt(' 60 ', '--min-age'), 60);
    assert.throws(
      () => requireSetting(undefined, '--token', 'DOCKERHUB_TOKEN'),
      (e: unknown) => e instanceof UserError && /DOCKERHUB_TOKEN/.test(e.hint ?? ''),
    );
  });
});

describe('image names', () => {
  it('builds <registry>/<namespace>/<name>:<tag> from flags or the environment', () => {
    assert.equal(
      imageRef(
        { name: 'shipay-api-rest' },
        imageCoordinates({ registry: '127.0.0.1:5000', namespace: 'ci' }),
        '1.2.0',
      ),
      '127.0.0.1:5000/ci/shipay-api-rest:1.2.0',
    );
    process.env.IMAGE_NAMESPACE = 'acme';
    assert.equal(imageCoordinates().namespace, 'acme');
    delete process.env.IMAGE_NAMESPACE;
  });

  it('rejects tags Docker would refuse', () => {
    assert.equal(validateTag('1.2.0-rc.3', '--version'), '1.2.0-rc.3');
    assert.throws(() => validateTag('-bad', '--version'), /--version '-bad' is not a valid image tag/);
    assert.throws(() => validateTag('a/b', '--version'), UserError);
  });
});
