// Helm's command line for Skiff's chart engine: `npm run chart -- <command>` (after `npm run build`:
// node dist/scripts/chart.js <command>). Commands, argument order and flags are Helm 3's; errors print as
// `Error: <message>` and exit 1, as Helm's do. The cluster is the kubeconfig's: --kubeconfig, else $KUBECONFIG, else
// .skiff/kubeconfig.
//
//   template [NAME] CHART   [values flags] [--version V] [--include-crds] [--no-hooks] [--skip-tests]
//                           [--kube-version V] [-a|--api-versions GV]... [-g|--generate-name]
//   install [NAME] CHART    [values flags] [--version V] [--create-namespace] [--wait] [--wait-for-jobs] [--timeout D]
//                           [--atomic] [--no-hooks] [--dry-run] [-g|--generate-name]
//   upgrade NAME CHART      [values flags] [--version V] [-i|--install] [--reuse-values] [--wait] [--wait-for-jobs]
//                           [--timeout D] [--atomic] [--no-hooks] [--dry-run]
//   rollback NAME [REVISION] [--wait] [--timeout D] [--no-hooks]
//   uninstall NAME          [--keep-history] [--no-hooks] [--timeout D]
//   test NAME               [--timeout D]
//   list                    [-A|--all-namespaces]
//   status NAME | history NAME | get values NAME [-a|--all] | get manifest NAME
//   repo add NAME URL [--force-update] | repo update [NAME...] | repo list | repo remove NAME...
//   search repo [KEYWORD]   [-l|--versions] [--version V]
//   package CHART_DIR       [-d|--destination DIR]
//   push CHART.tgz oci://REGISTRY/NAMESPACE
// CHART is a directory or .tgz, `repo/chart`, an `oci://` reference or an http(s) URL of an archive.
// values flags: -f|--values FILE, --set K=V, --set-string K=V, --set-file K=PATH, --set-json K=JSON (repeatable);
// every command takes -n|--namespace NS and --kubeconfig FILE.
import { errorMessage, parseGoDuration } from '@skiff/api-machinery';
import {
  ActionContext,
  Capabilities,
  HELM_VERSION,
  HelmRenderer,
  install,
  loadChart,
  packageChart,
  pushOciChart,
  rollback,
  Release,
  releaseManifest,
  ReleaseStore,
  sortManifests,
  test,
  uninstall,
  upgrade,
  UserValues,
  validateReleaseName,
} from '@skiff/helm-engine';
import { KubeClient } from '@skiff/kube-client';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Repositories } from './chart-repositories';

/** Flags by long name: whether each takes a value, and its one-letter name. */
const FLAGS: Record<string, { value: boolean; short?: string }> = {
  namespace: { value: true, short: 'n' },
  kubeconfig: { value: true },
  values: { value: true, short: 'f' },
  set: { value: true },
  'set-string': { value: true },
  'set-file': { value: true },
  'set-json': { value: true },
  'include-crds': { value: false },
  'no-hooks': { value: false },
  'skip-tests': { value: false },
  'kube-version': { value: true },
  'api-versions': { value: true, short: 'a' },
  'generate-name': { value: false, short: 'g' },
  'create-namespace': { value: false },
  wait: { value: false },
  'wait-for-jobs': { value: false },
  timeout: { value: true },
  atomic: { value: false },
  'keep-history': { value: false },
  install: { value: false, short: 'i' },
  'reuse-values': { value: false },
  'all-namespaces': { value: false, short: 'A' },
  version: { value: true },
  'dry-run': { value: false },
  versions: { value: false, short: 'l' },
  'force-update': { value: false },
  destination: { value: true, short: 'd' },
  // `get values -a` is --all; `template -a` is --api-versions (main reads -a for `get` as --all).
  all: { value: false },
};

// What `helm template` assumes of a cluster it does not ask: the built-in group/versions of Kubernetes 1.32.
const DEFAULT_API_VERSIONS = [
  'v1',
  'admissionregistration.k8s.io/v1',
  'apiextensions.k8s.io/v1',
  'apiregistration.k8s.io/v1',
  'apps/v1',
  'authentication.k8s.io/v1',
  'authorization.k8s.io/v1',
  'autoscaling/v1',
  'autoscaling/v2',
  'batch/v1',
  'certificates.k8s.io/v1',
  'coordination.k8s.io/v1',
  'discovery.k8s.io/v1',
  'events.k8s.io/v1',
  'flowcontrol.apiserver.k8s.io/v1',
  'networking.k8s.io/v1',
  'node.k8s.io/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'scheduling.k8s.io/v1',
  'storage.k8s.io/v1',
];
const DEFAULT_KUBE_VERSION = 'v1.32.0';

class CommandError extends Error {}

interface Parsed {
  args: string[];
  flags: Map<string, string[]>;
}

/** pflag's reading: `--name value`, `--name=value`, `-n value`, `-nvalue`, boolean flags alone. */
function parse(argv: string[]): Parsed {
  const args: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = arg.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      if (!FLAGS[name]) throw new CommandError(`unknown flag: --${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const short = arg[1];
      name = Object.keys(FLAGS).find((k) => FLAGS[k].short === short);
      if (!name) throw new CommandError(`unknown shorthand flag: '${short}' in ${arg}`);
      if (arg.length > 2) inline = arg.slice(2).replace(/^=/, '');
    } else {
      args.push(arg);
      continue;
    }
    if (!FLAGS[name].value) {
      add(name, inline ?? 'true');
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new CommandError(`flag needs an argument: --${name}`);
    add(name, value);
  }
  return { args, flags };
}

function userValues(flags: Parsed['flags']): UserValues {
  return {
    files: (flags.get('values') ?? []).map((name) => {
      try {
        return { name, text: readFileSync(name, 'utf8') };
      } catch {
        throw new CommandError(`open ${name}: no such file or directory`);
      }
    }),
    setJson: flags.get('set-json') ?? [],
    set: flags.get('set') ?? [],
    setString: flags.get('set-string') ?? [],
    setFile: flags.get('set-file') ?? [],
  };
}

/** `helm template`: the chart rendered locally, as `helm install --dry-run` would send it, without a cluster. */
async function template(argv: string[]): Promise<void> {
  const { args, flags } = parse(argv);
  const generate = flags.has('generate-name');
  nameAndChartArgs('template', args, generate);
  const renderer = await HelmRenderer.load();
  const chart = await Repositories.fromEnv(renderer).locate(args[args.length - 1], flags.get('version')?.at(-1));
  const name = releaseName(args, generate, chart.metadata.name);
  const capabilities: Capabilities = {
    apiVersions: [...DEFAULT_API_VERSIONS, ...(flags.get('api-versions') ?? [])],
    kubeVersion: flags.get('kube-version')?.at(-1) ?? DEFAULT_KUBE_VERSION,
    helmVersion: HELM_VERSION,
  };
  const rendered = await renderer.render({
    chart,
    values: userValues(flags),
    release: {
      Name: name,
      Namespace: flags.get('namespace')?.at(-1) ?? 'default',
      IsInstall: true,
      IsUpgrade: false,
      Revision: 1,
      Service: 'Helm',
    },
    capabilities,
    readFile,
  });
  const { hooks, manifests } = await sortManifests(rendered.manifests);
  let out = '';
  if (flags.has('include-crds')) for (const crd of rendered.crds) out += `---\n# Source: ${crd.name}\n${crd.text}\n`;
  out += releaseManifest(manifests);
  out = `${out.trim()}\n`;
  if (!flags.has('no-hooks'))
    for (const h of hooks) {
      if (flags.has('skip-tests') && h.events.includes('test')) continue;
      out += `---\n# Source: ${h.path}\n${h.manifest}\n`;
    }
  process.stdout.write(out);
  for (const w of rendered.warnings) process.stderr.write(`Warning: ${w}\n`);
}

/** [NAME] CHART: at most two arguments, exactly one with --generate-name. */
function nameAndChartArgs(command: string, args: string[], generate: boolean): void {
  if (args.length > 2) throw new CommandError(`"chart ${command}" requires at most 2 arguments`);
  if (args.length === 0 || (generate && args.length !== 1))
    throw new CommandError(`"chart ${command}" requires at least 1 argument`);
}

function releaseName(args: string[], generate: boolean, chartName: string): string {
  const name =
    args.length === 2 ? args[0] : generate ? `${chartName}-${Math.floor(Date.now() / 1000)}` : 'release-name';
  validateReleaseName(name);
  return name;
}

function readFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`open ${file}: no such file or directory`);
  }
}

/** A `--timeout` Go duration ("5m0s", "90s", "1h", "500ms") in milliseconds; Helm's words for one that is not. */
function duration(text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  try {
    return parseGoDuration(text);
  } catch {
    throw new CommandError(`invalid argument "${text}" for "--timeout" flag: time: invalid duration "${text}"`);
  }
}

const VALUES_FLAGS = ['values', 'set', 'set-string', 'set-file', 'set-json'];
const APPLY_FLAGS = ['wait', 'wait-for-jobs', 'timeout', 'atomic', 'no-hooks', 'dry-run', 'version'];

/** What install and upgrade take alike: the values, and how to apply and wait (--atomic implies --wait). */
function applyOptions(flags: Parsed['flags']) {
  return {
    values: userValues(flags),
    readFile,
    wait: flags.has('wait') || flags.has('atomic'),
    waitForJobs: flags.has('wait-for-jobs'),
    timeoutMs: duration(flags.get('timeout')?.at(-1), 300_000),
    atomic: flags.has('atomic'),
    noHooks: flags.has('no-hooks'),
    dryRun: flags.has('dry-run'),
  };
}

function allowOnly(flags: Parsed['flags'], command: string, allowed: string[]): void {
  for (const name of flags.keys())
    if (!['namespace', 'kubeconfig', ...allowed].includes(name))
      throw new CommandError(`unknown flag: --${name} (not a flag of "chart ${command}")`);
}

async function context(flags: Parsed['flags']): Promise<ActionContext & { close(): void }> {
  const file = flags.get('kubeconfig')?.at(-1) ?? process.env.KUBECONFIG ?? '.skiff/kubeconfig';
  const client = KubeClient.fromKubeconfig(file);
  return { client, store: new ReleaseStore(client), renderer: await HelmRenderer.load(), close: () => client.close() };
}

const namespaceOf = (flags: Parsed['flags']) => flags.get('namespace')?.at(-1) ?? 'default';

/** Go's time.ANSIC in local time: "Fri Dec  4 14:20:00 2026". */
function ansic(iso: string): string {
  const d = new Date(iso);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day} ${month} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

/** Go's time.Time String() in UTC: "2026-12-04 14:20:00.123 +0000 UTC". */
function goTime(iso: string): string {
  const [date, time] = iso.replace(/Z$/, '').split('T');
  const [clock, frac] = time.split('.');
  const f = (frac ?? '').replace(/0+$/, '');
  return `${date} ${clock}${f ? `.${f}` : ''} +0000 UTC`;
}

/** Columns as Helm's tables print them: each cell padded to its column, separated by a tab. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c))
          .join('\t')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/**
 * What `helm install`, `helm status` and `helm test` print: the test suite's last runs once it has run, and the hooks
 * and manifest for a dry run.
 */
function statusText(rel: Release, dryRun = false): string {
  let out = `NAME: ${rel.name}\nLAST DEPLOYED: ${ansic(rel.info.last_deployed)}\nNAMESPACE: ${rel.namespace}\nSTATUS: ${rel.info.status}\nREVISION: ${rel.version}\n`;
  const tests = (rel.hooks ?? []).filter((h) => h.events.includes('test') && h.last_run?.started_at);
  if (tests.length === 0 && !dryRun) out += 'TEST SUITE: None\n';
  for (const h of tests)
    out += `TEST SUITE:     ${h.name}\nLast Started:   ${ansic(h.last_run.started_at)}\nLast Completed: ${ansic(h.last_run.completed_at || h.last_run.started_at)}\nPhase:          ${h.last_run.phase}\n`;
  if (dryRun) {
    out += 'HOOKS:\n';
    for (const h of rel.hooks ?? []) out += `---\n# Source: ${h.path}\n${h.manifest}\n`;
    out += `MANIFEST:\n${rel.manifest}`;
  }
  if (rel.info.notes) out += `NOTES:\n${rel.info.notes.trim()}\n`;
  return out;
}

async function latestRelease(ctx: ActionContext, namespace: string, name: string): Promise<Release> {
  const rel = (await ctx.store.history(namespace, name)).at(-1);
  if (!rel) throw new CommandError('release: not found');
  return rel;
}

/** The commands that need no cluster: repositories, search, package and push. */
async function offline(command: string, argv: string[]): Promise<void> {
  const { args, flags } = parse(argv);
  const renderer = await HelmRenderer.load();
  const repos = Repositories.fromEnv(renderer);
  if (command === 'repo') {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'add':
        allowOnly(flags, 'repo add', ['force-update']);
        if (rest.length !== 2) throw new CommandError('"chart repo add" requires 2 arguments');
        process.stdout.write(await repos.add(rest[0], rest[1], flags.has('force-update')));
        return;
      case 'update':
        allowOnly(flags, 'repo update', []);
        process.stdout.write(await repos.update(rest));
        return;
      case 'list': {
        allowOnly(flags, 'repo list', []);
        const entries = repos.list();
        if (entries.length === 0) throw new CommandError('no repositories to show');
        process.stdout.write(table([['NAME', 'URL'], ...entries.map((e) => [e.name, e.url])]));
        return;
      }
      case 'remove':
        allowOnly(flags, 'repo remove', []);
        if (rest.length === 0) throw new CommandError('"chart repo remove" requires at least 1 argument');
        process.stdout.write(repos.remove(rest));
        return;
      default:
        throw new CommandError(`unknown command "${sub ?? ''}" for "chart repo"`);
    }
  }
  if (command === 'search') {
    allowOnly(flags, 'search repo', ['versions', 'version']);
    if (args[0] !== 'repo') throw new CommandError(`unknown command "${args[0] ?? ''}" for "chart search"`);
    const found = repos.search(args[1], { versions: flags.has('versions'), version: flags.get('version')?.at(-1) });
    if (found.length === 0) {
      process.stdout.write('No results found\n');
      return;
    }
    const rows = [['NAME', 'CHART VERSION', 'APP VERSION', 'DESCRIPTION']];
    for (const v of found.flat()) rows.push([v.name, v.version, v.appVersion ?? '', v.description ?? '']);
    process.stdout.write(table(rows));
    return;
  }
  if (command === 'package') {
    allowOnly(flags, command, ['destination']);
    if (args.length < 1) throw new CommandError('need at least one argument, the path to the chart');
    const dir = flags.get('destination')?.at(-1) ?? '.';
    mkdirSync(dir, { recursive: true });
    for (const chartDir of args) {
      const pkg = await packageChart(chartDir);
      const file = path.resolve(dir, pkg.fileName);
      writeFileSync(file, pkg.archive);
      process.stdout.write(`Successfully packaged chart and saved it to: ${file}\n`);
    }
    return;
  }
  // push
  allowOnly(flags, command, []);
  if (args.length !== 2) throw new CommandError('"chart push" requires 2 arguments');
  if (!args[1].startsWith('oci://')) throw new CommandError(`scheme prefix missing from remote (e.g. "oci://")`);
  const chart = await loadChart(args[0]);
  const { ref, digest } = await pushOciChart(
    { metadata: chart.metadata, archive: readFileSync(args[0]), fileName: path.basename(args[0]) },
    args[1],
  );
  process.stdout.write(`Pushed: ${ref}\nDigest: ${digest}\n`);
}

async function main(): Promise<void> {
  const [command, ...argv] = process.argv.slice(2);
  if (command === 'template') return template(argv);
  if (['repo', 'search', 'package', 'push'].includes(command)) return offline(command, argv);
  const { args, flags } = parse(command === 'get' ? argv.map((a) => (a === '-a' ? '--all' : a)) : argv);
  const namespace = namespaceOf(flags);
  const ctx = await context(flags);
  const locate = (ref: string) => Repositories.fromEnv(ctx.renderer).locate(ref, flags.get('version')?.at(-1));
  try {
    switch (command) {
      case 'install': {
        allowOnly(flags, command, [...VALUES_FLAGS, ...APPLY_FLAGS, 'create-namespace', 'generate-name']);
        const generate = flags.has('generate-name');
        nameAndChartArgs(command, args, generate);
        const chart = await locate(args[args.length - 1]);
        const rel = await install(ctx, {
          name: releaseName(args, generate, chart.metadata.name),
          namespace,
          chart,
          createNamespace: flags.has('create-namespace'),
          ...applyOptions(flags),
        });
        process.stdout.write(statusText(rel, flags.has('dry-run')));
        return;
      }
      case 'upgrade': {
        allowOnly(flags, command, [...VALUES_FLAGS, ...APPLY_FLAGS, 'install', 'reuse-values']);
        if (args.length !== 2) throw new CommandError('"chart upgrade" requires 2 arguments');
        const { release, installed } = await upgrade(ctx, {
          name: args[0],
          namespace,
          chart: await locate(args[1]),
          install: flags.has('install'),
          reuseValues: flags.has('reuse-values'),
          ...applyOptions(flags),
        });
        process.stdout.write(
          installed
            ? `Release "${args[0]}" does not exist. Installing it now.\n`
            : `Release "${args[0]}" has been upgraded. Happy Helming!\n`,
        );
        process.stdout.write(statusText(release, flags.has('dry-run')));
        return;
      }
      case 'test': {
        allowOnly(flags, command, ['timeout']);
        if (args.length !== 1) throw new CommandError('"chart test" requires 1 argument');
        const rel = await test(ctx, {
          name: args[0],
          namespace,
          timeoutMs: duration(flags.get('timeout')?.at(-1), 300_000),
        });
        process.stdout.write(statusText(rel));
        return;
      }
      case 'rollback': {
        allowOnly(flags, command, ['wait', 'timeout', 'no-hooks']);
        if (args.length < 1 || args.length > 2) throw new CommandError('"chart rollback" requires 1 or 2 arguments');
        const version = args[1] === undefined ? undefined : Number.parseInt(args[1], 10);
        if (version !== undefined && !(version >= 0))
          throw new CommandError(`invalid revision "${args[1]}": must be a number`);
        await rollback(ctx, {
          name: args[0],
          namespace,
          ...(version ? { version } : {}),
          wait: flags.has('wait'),
          timeoutMs: duration(flags.get('timeout')?.at(-1), 300_000),
          noHooks: flags.has('no-hooks'),
        });
        process.stdout.write('Rollback was a success! Happy Helming!\n');
        return;
      }
      case 'uninstall': {
        allowOnly(flags, command, ['keep-history', 'no-hooks', 'timeout']);
        if (args.length < 1) throw new CommandError('"chart uninstall" requires at least 1 argument');
        for (const name of args)
          process.stdout.write(
            `${await uninstall(ctx, {
              name,
              namespace,
              keepHistory: flags.has('keep-history'),
              noHooks: flags.has('no-hooks'),
              timeoutMs: duration(flags.get('timeout')?.at(-1), 300_000),
            })}\n`,
          );
        return;
      }
      case 'list': {
        allowOnly(flags, command, ['all-namespaces']);
        const releases = (await ctx.store.latest(flags.has('all-namespaces') ? undefined : namespace)).filter(
          (r) => r.info.status === 'deployed' || r.info.status === 'failed',
        );
        const rows = [['NAME', 'NAMESPACE', 'REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION']];
        for (const r of releases)
          rows.push([
            r.name,
            r.namespace,
            String(r.version),
            goTime(r.info.last_deployed),
            r.info.status,
            `${r.chart.metadata.name}-${r.chart.metadata.version}`,
            r.chart.metadata.appVersion ?? '',
          ]);
        process.stdout.write(table(rows));
        return;
      }
      case 'status': {
        allowOnly(flags, command, []);
        if (args.length !== 1) throw new CommandError('"chart status" requires 1 argument');
        process.stdout.write(statusText(await latestRelease(ctx, namespace, args[0])));
        return;
      }
      case 'history': {
        allowOnly(flags, command, []);
        if (args.length !== 1) throw new CommandError('"chart history" requires 1 argument');
        const history = await ctx.store.history(namespace, args[0]);
        if (history.length === 0) throw new CommandError('release: not found');
        const rows = [['REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION', 'DESCRIPTION']];
        for (const r of history)
          rows.push([
            String(r.version),
            ansic(r.info.last_deployed),
            r.info.status,
            `${r.chart.metadata.name}-${r.chart.metadata.version}`,
            r.chart.metadata.appVersion ?? '',
            r.info.description,
          ]);
        process.stdout.write(table(rows));
        return;
      }
      case 'get': {
        allowOnly(flags, command, ['all']);
        const [what, name] = args;
        if (what !== 'values' && what !== 'manifest')
          throw new CommandError(`unknown command "${what ?? ''}" for "chart get"`);
        if (!name) throw new CommandError(`"chart get ${what}" requires 1 argument`);
        const rel = await latestRelease(ctx, namespace, name);
        if (what === 'manifest') process.stdout.write(rel.manifest);
        else if (flags.has('all'))
          process.stdout.write(
            `COMPUTED VALUES:\n${ctx.renderer.toYaml(ctx.renderer.computedValues(rel.chart.values, rel.config))}`,
          );
        else {
          process.stdout.write(
            `USER-SUPPLIED VALUES:\n${ctx.renderer.toYaml(Object.keys(rel.config ?? {}).length ? rel.config : null)}`,
          );
        }
        return;
      }
      default:
        throw new CommandError(
          command === undefined ? 'a command is required' : `unknown command "${command}" for "chart"`,
        );
    }
  } finally {
    ctx.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Error: ${errorMessage(err)}\n`);
  process.exit(1);
});
