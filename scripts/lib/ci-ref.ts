import { UserError } from './exit-codes.ts';

/** What a GitLab pipeline publishes and where it deploys, derived from its ref (gitflow). */
export interface CiRelease {
  /** Image tag pushed first, also the chart's image tag. */
  version: string;
  /** Further tags for the same images (X.Y and latest on a release tag). */
  extraTags: string[];
  /** Chart environment the deploy job targets. */
  environment: 'dev' | 'staging' | 'production';
}

type Env = Record<string, string | undefined>;

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

/**
 * develop -> develop-<short sha> on dev; release/X.Y.Z and hotfix/X.Y.Z -> X.Y.Z-rc.<pipeline iid>
 * on staging; tag vX.Y.Z -> X.Y.Z plus X.Y and latest on production. Any other ref publishes nothing.
 */
export function ciRelease(env: Env = process.env): CiRelease {
  const tag = env.CI_COMMIT_TAG;
  if (tag) {
    const m = SEMVER.exec(tag.replace(/^v/, ''));
    if (!tag.startsWith('v') || !m) {
      throw new UserError(`tag '${tag}' is not vX.Y.Z`, 'release tags look like v1.2.3');
    }
    return { version: m[0], extraTags: [`${m[1]}.${m[2]}`, 'latest'], environment: 'production' };
  }
  const branch = env.CI_COMMIT_BRANCH ?? '';
  if (branch === 'develop') {
    const sha = env.CI_COMMIT_SHORT_SHA;
    if (!sha) throw new UserError('CI_COMMIT_SHORT_SHA is not set', 'run inside a GitLab pipeline');
    return { version: `develop-${sha}`, extraTags: [], environment: 'dev' };
  }
  const gitflow = /^(release|hotfix)\/(.+)$/.exec(branch);
  if (gitflow) {
    const version = gitflow[2]!.replace(/^v/, '');
    if (!SEMVER.test(version)) {
      throw new UserError(`branch '${branch}' does not name a version`, `name it ${gitflow[1]}/X.Y.Z`);
    }
    const iid = env.CI_PIPELINE_IID;
    if (!iid) throw new UserError('CI_PIPELINE_IID is not set', 'run inside a GitLab pipeline');
    return { version: `${version}-rc.${iid}`, extraTags: [], environment: 'staging' };
  }
  throw new UserError(
    `ref '${branch || '(none)'}' publishes no images`,
    'only develop, release/X.Y.Z, hotfix/X.Y.Z and tags vX.Y.Z do (gitflow)',
  );
}
