import type { OptionSpec } from './cli.ts';
import { setting } from './config.ts';
import { UserError } from './exit-codes.ts';
import type { Runner } from './runner.ts';

export type ImageKey = 'base' | 'api_rest' | 'async_worker';

export interface ImageSpec {
  key: ImageKey;
  /** Repository name under the namespace, e.g. shipay-api-rest. */
  name: string;
  dockerfile: string;
  /** Build context, relative to the repository root. */
  context: string;
}

/** The three images, in build order: the base first, the services extend it. */
export const IMAGES: readonly ImageSpec[] = [
  { key: 'base', name: 'shipay-base', dockerfile: 'docker/base/Dockerfile', context: 'docker/base' },
  { key: 'api_rest', name: 'shipay-api-rest', dockerfile: 'docker/api_rest/Dockerfile', context: '.' },
  {
    key: 'async_worker',
    name: 'shipay-async-worker',
    dockerfile: 'docker/async_worker/Dockerfile',
    context: '.',
  },
];

export interface ImageCoordinates {
  /** Registry host, e.g. docker.io or 127.0.0.1:5000. */
  registry: string;
  /** Account or organisation, e.g. the Docker Hub user. */
  namespace: string;
}

/** The flags that name our images, shared by every script that builds, pushes, loads or runs them. */
export const IMAGE_OPTIONS = {
  version: {
    type: 'string',
    value: 'V',
    env: 'IMAGE_TAG',
    description: 'image tag (default: git describe)',
  },
  registry: {
    type: 'string',
    value: 'HOST',
    env: 'IMAGE_REGISTRY',
    description: 'registry of our images (default docker.io)',
  },
  namespace: {
    type: 'string',
    value: 'NS',
    env: 'IMAGE_NAMESPACE',
    description: 'account or organisation of our images (default DOCKERHUB_USERNAME, then shipay)',
  },
} as const satisfies Record<string, OptionSpec>;

/** Registry and namespace from flags, then IMAGE_REGISTRY / IMAGE_NAMESPACE (or DOCKERHUB_USERNAME). */
export function imageCoordinates(flags: { registry?: string; namespace?: string } = {}): ImageCoordinates {
  return {
    registry: setting(flags.registry, 'IMAGE_REGISTRY', 'docker.io'),
    namespace: setting(flags.namespace, 'IMAGE_NAMESPACE', process.env.DOCKERHUB_USERNAME || 'shipay'),
  };
}

/** `<registry>/<namespace>/<name>` without a tag. */
export function imageRepository(image: Pick<ImageSpec, 'name'>, at: ImageCoordinates): string {
  return `${at.registry}/${at.namespace}/${image.name}`;
}

export function imageRef(image: Pick<ImageSpec, 'name'>, at: ImageCoordinates, tag: string): string {
  return `${imageRepository(image, at)}:${tag}`;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Rejects a string Docker would refuse as a tag, naming the rule. */
export function validateTag(tag: string, source: string): string {
  if (!TAG.test(tag)) {
    throw new UserError(
      `${source} '${tag}' is not a valid image tag`,
      'use letters, digits, _ . and -, at most 128 characters, not starting with . or -',
    );
  }
  return tag;
}

/** Short commit of HEAD, or undefined outside a git checkout. */
export async function gitSha(runner: Runner): Promise<string | undefined> {
  const result = await runner.query(['git', 'rev-parse', '--short=12', 'HEAD'], { nothrow: true });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * The version to tag with: --version, then IMAGE_TAG, then `git describe` (a leading v dropped,
 * `+`/`/` made tag-safe), then `dev`.
 */
export async function resolveVersion(runner: Runner, flag?: string): Promise<string> {
  const explicit = setting(flag, 'IMAGE_TAG');
  if (explicit) return validateTag(explicit, flag ? '--version' : 'IMAGE_TAG');
  const described = await runner.query(['git', 'describe', '--tags', '--always', '--dirty'], {
    nothrow: true,
  });
  if (described.exitCode !== 0) return 'dev';
  return validateTag(
    described.stdout
      .trim()
      .replace(/^v(?=\d)/, '')
      .replace(/[+/]/g, '-'),
    'git describe',
  );
}
