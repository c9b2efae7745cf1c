import { ListrEnquirerPromptAdapter } from '@listr2/prompt-adapter-enquirer';
import type { ListrTaskWrapper } from 'listr2';
import { type Cli, type CliSpec, type OptionSpec, parseCli } from '../../scripts/lib/cli.ts';
import { setting } from '../../scripts/lib/config.ts';
import { UserError } from '../../scripts/lib/exit-codes.ts';
import { resolveVersion, validateTag } from '../../scripts/lib/images.ts';
import { Logger } from '../../scripts/lib/logger.ts';
import { Runner } from '../../scripts/lib/runner.ts';
import type { StepOptions } from './steps.ts';

export const TARGETS = ['kind', 'compose', 'cluster'] as const;
export type Target = (typeof TARGETS)[number];

/** Flags shared by the task lists that ask "where" and "which version". */
export const TARGET_OPTIONS: Record<string, OptionSpec> = {
  target: {
    type: 'string',
    value: 'kind|compose|cluster',
    description: 'kind: local cluster; compose: docker compose; cluster: the one KUBECONFIG points at',
  },
  version: { type: 'string', value: 'V', env: 'IMAGE_TAG', description: 'image tag to deploy' },
  yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation (required without a TTY)' },
};

export interface Session {
  cli: Cli;
  /** Prompts allowed: stdin and stdout are terminals and CI is not set. */
  interactive: boolean;
  renderer: 'default' | 'simple';
  step: StepOptions;
}

/**
 * Parses the flags and decides how the list renders: the animated renderer on a terminal,
 * the plain line-per-event one in CI logs or when piped. Steps get their own Runner that
 * really runs them even under --dry-run, because they receive --dry-run themselves.
 */
export function openSession(spec: CliSpec, argv?: string[]): Session {
  const cli = parseCli(spec, argv);
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY && !process.env.CI);
  const renderer = interactive && !cli.flag('json') ? 'default' : 'simple';
  return {
    cli,
    interactive,
    renderer,
    step: {
      // The animated renderer owns the terminal: step command lines would tear it up.
      runner: new Runner(renderer === 'default' ? new Logger({ quiet: true }) : cli.log, false),
      dryRun: cli.dryRun,
      json: cli.flag('json'),
      stream: renderer === 'simple' || cli.dryRun,
    },
  };
}

export function parseTarget(value: string | undefined): Target | undefined {
  if (value === undefined || value === '') return undefined;
  if ((TARGETS as readonly string[]).includes(value)) return value as Target;
  throw new UserError(`--target must be one of ${TARGETS.join(', ')}, got '${value}'`, 'e.g. --target kind');
}

/** The error for a value that can only be asked on a terminal. */
export function missingFlag(flag: string, example: string): UserError {
  return new UserError(
    `missing ${flag} (not a terminal, so it cannot be asked for)`,
    `pass it, e.g. ${example}; run on a terminal to be asked instead`,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: listr2's wrapper is generic over renderers we do not name
type AnyTask = ListrTaskWrapper<any, any, any>;

export async function askTarget(task: AnyTask, choices: readonly Target[]): Promise<Target> {
  return task.prompt(ListrEnquirerPromptAdapter).run<Target>({
    type: 'select',
    message: 'Where to?',
    choices: [...choices],
  });
}

/** Asks for the version, offering the one the scripts would pick (IMAGE_TAG, then git describe). */
export async function askVersion(task: AnyTask, runner: Runner): Promise<string> {
  const initial = await resolveVersion(runner);
  const answer = await task.prompt(ListrEnquirerPromptAdapter).run<string>({
    type: 'input',
    message: 'Version (image tag)',
    initial,
  });
  return validateTag(answer.trim() || initial, 'version');
}

export async function confirm(task: AnyTask, message: string): Promise<boolean> {
  return task.prompt(ListrEnquirerPromptAdapter).run<boolean>({ type: 'confirm', message, initial: false });
}

/** --version or IMAGE_TAG, validated; undefined when neither is set. */
export function versionSetting(cli: Cli): string | undefined {
  const value = setting(cli.str('version'), 'IMAGE_TAG');
  return value === undefined ? undefined : validateTag(value, cli.str('version') ? '--version' : 'IMAGE_TAG');
}

/** Listr options every list shares: the animated renderer, or the plain one in CI and pipes. */
export function listOptions<Ctx>(session: Session, ctx: Ctx) {
  return {
    ctx,
    renderer: 'default' as const,
    fallbackRenderer: 'simple' as const,
    fallbackRendererCondition: () => session.renderer === 'simple',
    exitOnError: true,
    rendererOptions: { collapseErrors: false },
  };
}
