#!/usr/bin/env -S npx tsx
// Challenge step 2: install the chart with per-environment values, then prove the API answers
// over TLS with a certificate the chart's CA vouches for.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CliSpec, isMain, parseCli, runMain } from './lib/cli.ts';
import { listSetting, setting } from './lib/config.ts';
import { ExitCode, UserError } from './lib/exit-codes.ts';
import { IMAGE_OPTIONS, IMAGES, imageCoordinates, resolveVersion } from './lib/images.ts';
import type { Logger } from './lib/logger.ts';
import { fromRoot } from './lib/paths.ts';
import { httpsGetVerified, startPortForward } from './lib/port-forward.ts';
import type { Runner } from './lib/runner.ts';
import { formatCommand } from './lib/shell-quote.ts';
import { requireTools } from './lib/tools.ts';

export const ENVIRONMENTS = ['kind', 'dev', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const CHART = 'helm/shipay';

export const spec: CliSpec = {
  command: 'npx tsx scripts/helm-install.ts',
  summary:
    'Creates the namespace with Pod Security `restricted` enforced, runs `helm upgrade --install\n' +
    '--atomic --wait` with helm/shipay/values-<env>.yaml (when present), --values files and the image\n' +
    'tag, then port-forwards the API Service (443) and GETs /health over TLS, verifying the\n' +
    "certificate against the chart's CA read from the cluster.",
  options: {
    release: { type: 'string', value: 'NAME', description: 'Helm release (default shipay)' },
    namespace: {
      type: 'string',
      value: 'NS',
      env: 'KUBE_NAMESPACE',
      description: 'Kubernetes namespace (default shipay)',
    },
    env: {
      type: 'string',
      value: 'ENV',
      env: 'DEPLOY_ENV',
      description: `environment: ${ENVIRONMENTS.join('|')} (default kind)`,
    },
    version: IMAGE_OPTIONS.version,
    values: {
      type: 'string',
      value: 'FILE',
      multiple: true,
      env: 'HELM_VALUES',
      description: 'extra values file (repeatable, applied last; env: comma-separated)',
    },
    set: { type: 'string', value: 'K=V', multiple: true, description: 'extra helm --set (repeatable)' },
    'kube-context': {
      type: 'string',
      value: 'CTX',
      env: 'KUBE_CONTEXT',
      description: 'kubeconfig context (default: current)',
    },
    'no-smoke': { type: 'boolean', description: 'skip the TLS /health check after the install' },
    timeout: { type: 'string', value: 'DURATION', description: 'helm --timeout (default 10m)' },
  },
  examples: [
    'npx tsx scripts/helm-install.ts --kube-context kind-shipay',
    'npx tsx scripts/helm-install.ts --env staging --version 1.2.0 --values my.yaml --dry-run',
  ],
  exitCodes: {
    [ExitCode.partialFailure]: 'helm failed (and rolled back), or the smoke check failed',
    [ExitCode.usage]: 'bad flags or a missing values file',
    [ExitCode.missingPrerequisite]: 'helm or kubectl missing, or the cluster is unreachable',
  },
};

export interface InstallOptions {
  release: string;
  namespace: string;
  env: Environment;
  version: string;
  registry: string;
  imageNamespace: string;
  valuesFiles: string[];
  sets: string[];
  kubeContext?: string;
  timeout: string;
}

/** The chart's fullname rule (templates/_helpers.tpl): the release, suffixed unless it holds the chart name. */
export function fullname(release: string): string {
  const name = release.includes('shipay') ? release : `${release}-shipay`;
  return name.slice(0, 63).replace(/-+$/, '');
}

/** Names the smoke check needs, as the chart renders them. */
export function releaseNames(release: string, namespace: string) {
  const full = fullname(release);
  const service = `${full}-api-rest`.slice(0, 63).replace(/-+$/, '');
  return {
    service,
    serviceDns: `${service}.${namespace}.svc`,
    caConfigMap: `${full}-ca`.slice(0, 63),
    tlsSecret: `${service}-tls`,
  };
}

/** The Namespace, labelled so the API server rejects pods that break Pod Security `restricted`. */
export function namespaceManifest(namespace: string): string {
  const labels = Object.fromEntries(
    ['enforce', 'audit', 'warn'].flatMap((mode) => [
      [`pod-security.kubernetes.io/${mode}`, 'restricted'],
      [`pod-security.kubernetes.io/${mode}-version`, 'latest'],
    ]),
  );
  return JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } });
}

const ctx = (o: InstallOptions): string[] => (o.kubeContext ? ['--context', o.kubeContext] : []);

/** The exact `helm upgrade --install` command line. */
export function helmCommand(o: InstallOptions): string[] {
  const envValues = `${CHART}/values-${o.env}.yaml`;
  const images = IMAGES.filter((i) => i.key !== 'base').flatMap((image) => {
    const key = image.key === 'api_rest' ? 'apiRest' : 'asyncWorker';
    return [
      '--set',
      `${key}.image.registry=${o.registry}`,
      '--set',
      `${key}.image.repository=${o.imageNamespace}/${image.name}`,
      '--set-string',
      `${key}.image.tag=${o.version}`,
    ];
  });
  return [
    'helm',
    'upgrade',
    '--install',
    o.release,
    CHART,
    '--namespace',
    o.namespace,
    ...(o.kubeContext ? ['--kube-context', o.kubeContext] : []),
    '--atomic',
    '--wait',
    '--timeout',
    o.timeout,
    ...(existsSync(fromRoot(envValues)) ? ['--values', envValues] : []),
    ...o.valuesFiles.flatMap((f) => ['--values', f]),
    ...images,
    ...o.sets.flatMap((s) => ['--set', s]),
  ];
}

/** Reads the CA that signs the API certificate: the chart's ConfigMap, else the TLS Secret's ca.crt. */
export async function readCa(runner: Runner, o: InstallOptions): Promise<string> {
  const names = releaseNames(o.release, o.namespace);
  const kubectl = ['kubectl', ...ctx(o), '--namespace', o.namespace];
  const fromConfigMap = await runner.query(
    [...kubectl, 'get', 'configmap', names.caConfigMap, '-o', 'jsonpath={.data.ca\\.crt}'],
    { nothrow: true },
  );
  if (fromConfigMap.exitCode === 0 && fromConfigMap.stdout.includes('BEGIN CERTIFICATE'))
    return fromConfigMap.stdout;
  const fromSecret = await runner.query(
    [...kubectl, 'get', 'secret', names.tlsSecret, '-o', 'jsonpath={.data.ca\\.crt}'],
    { nothrow: true },
  );
  const pem = Buffer.from(fromSecret.stdout.trim(), 'base64').toString();
  if (fromSecret.exitCode !== 0 || !pem.includes('BEGIN CERTIFICATE')) {
    throw new UserError(
      `cannot read the API's CA (configmap ${names.caConfigMap} or secret ${names.tlsSecret} key ca.crt)`,
      'with apiRest.tls.existingSecret, make sure that secret holds ca.crt; or pass --no-smoke',
      ExitCode.partialFailure,
    );
  }
  return pem;
}

/** Port-forwards the Service's 443 and GETs /health over verified TLS, retrying while pods settle. */
export async function smokeCheck(
  runner: Runner,
  log: Logger,
  o: InstallOptions,
  attempts = 10,
): Promise<void> {
  const names = releaseNames(o.release, o.namespace);
  const forward = [
    'kubectl',
    ...ctx(o),
    '--namespace',
    o.namespace,
    'port-forward',
    `service/${names.service}`,
    ':443',
  ];
  if (runner.dryRun) {
    log.raw(`+ ${formatCommand(forward)} &`);
    log.raw(
      `+ GET https://${names.serviceDns}/health via the forwarded port, CA from configmap ${names.caConfigMap}`,
    );
    return;
  }
  const ca = await readCa(runner, o);
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const pf = await startPortForward(forward).catch((error: Error) => error);
    if (pf instanceof Error) {
      lastError = pf.message;
    } else {
      try {
        const result = await httpsGetVerified(pf.port, '/health', ca, names.serviceDns);
        if (result.status === 200) {
          log.info('smoke check passed: /health answered 200 over TLS verified against the chart CA', {
            service: names.serviceDns,
          });
          return;
        }
        lastError = `HTTP ${result.status}: ${result.body.slice(0, 200)}`;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      } finally {
        pf.close();
      }
    }
    log.warn(`smoke check attempt ${attempt}/${attempts} failed: ${lastError}`);
    await sleep(3000);
  }
  throw new UserError(
    `smoke check failed: GET https://${names.serviceDns}/health: ${lastError}`,
    `inspect with: kubectl -n ${o.namespace} get pods; kubectl -n ${o.namespace} logs deploy/${names.service}`,
    ExitCode.partialFailure,
  );
}

/** Namespace, helm upgrade --install, smoke check: the whole step, for scripts and task lists. */
export async function helmInstall(
  runner: Runner,
  log: Logger,
  o: InstallOptions,
  smoke: boolean,
): Promise<void> {
  if (!runner.dryRun) {
    const reach = await runner.query(
      ['kubectl', ...ctx(o), 'version', '--request-timeout=10s', '-o', 'json'],
      {
        nothrow: true,
      },
    );
    if (reach.exitCode !== 0) {
      throw new UserError(
        `the Kubernetes cluster is unreachable${o.kubeContext ? ` (context ${o.kubeContext})` : ''}`,
        'start it (task kind:up) or pick a context with --kube-context (kubectl config get-contexts)',
        ExitCode.missingPrerequisite,
      );
    }
  }
  await runner.run(['kubectl', ...ctx(o), 'apply', '-f', '-'], { input: namespaceManifest(o.namespace) });
  await runner.run(helmCommand(o), { stream: !log.json, cwd: fromRoot() });
  if (smoke) await smokeCheck(runner, log, o);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const cli = parseCli(spec, argv);
  const env = setting(cli.str('env'), 'DEPLOY_ENV', 'kind');
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
    throw new UserError(`--env '${env}' is not one of ${ENVIRONMENTS.join(', ')}`, 'e.g. --env kind');
  }
  const valuesFiles = listSetting(cli.values.values as string[] | undefined, 'HELM_VALUES');
  for (const file of valuesFiles) {
    if (!existsSync(file)) throw new UserError(`values file not found: ${file}`, 'check the --values path');
  }
  // helm runs from the repository root (the chart path is relative to it).
  const absoluteValues = valuesFiles.map((file) => resolve(file));
  const sets = (cli.values.set as string[] | undefined) ?? [];
  for (const s of sets)
    if (!/^[^=]+=/.test(s))
      throw new UserError(`--set '${s}' is not KEY=VALUE`, 'e.g. --set apiRest.replicaCount=3');
  const timeout = cli.str('timeout') ?? '10m';
  if (!/^\d+(s|m|h)$/.test(timeout))
    throw new UserError(`--timeout '${timeout}' is not a duration`, 'e.g. --timeout 10m');
  await requireTools(['helm', 'kubectl']);
  const at = imageCoordinates();
  const options: InstallOptions = {
    release: cli.str('release') ?? 'shipay',
    namespace: setting(cli.str('namespace'), 'KUBE_NAMESPACE', 'shipay'),
    env: env as Environment,
    version: await resolveVersion(cli.runner, cli.str('version')),
    registry: at.registry,
    imageNamespace: at.namespace,
    valuesFiles: absoluteValues,
    sets,
    kubeContext: setting(cli.str('kube-context'), 'KUBE_CONTEXT'),
    timeout,
  };
  await helmInstall(cli.runner, cli.log, options, !cli.flag('no-smoke'));
  if (cli.dryRun) cli.log.info('dry run: nothing was changed');
  else
    cli.log.info(`release ${options.release} is deployed in namespace ${options.namespace}`, {
      env: options.env,
    });
  return ExitCode.ok;
}

if (isMain(import.meta.url)) await runMain(main);
