// Helm's command line for Skiff's chart engine: `npm run chart -- <command>` (after `npm run build`:
// node dist/scripts/chart.js <command>). Commands, argument order and flags are Helm 3's; errors print as
// `Error: <message>` and exit 1, as Helm's do.
//
//   template [NAME] CHART [-n NS] [-f FILE]... [--set K=V]... [--set-string K=V]... [--set-file K=PATH]...
//            [--set-json K=JSON]... [--include-crds] [--no-hooks] [--skip-tests] [--kube-version V]
//            [-a|--api-versions GV]... [-g|--generate-name]
import { errorMessage } from '@skiff/api-machinery';
import { Capabilities, HelmRenderer, loadChart, releaseManifest, sortManifests, UserValues } from '@skiff/helm-engine';
import { readFileSync } from 'node:fs';

/** Flags by long name: whether each takes a value, and its one-letter name. */
const FLAGS: Record<string, { value: boolean; short?: string }> = {
  namespace: { value: true, short: 'n' },
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
const HELM_VERSION = 'v3.16.0';
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

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
  if (args.length > 2) throw new CommandError(`"chart template" requires at most 2 arguments`);
  if (args.length === 0 || (generate && args.length !== 1))
    throw new CommandError(`"chart template" requires at least 1 argument`);
  const chartPath = args[args.length - 1];
  const chart = await loadChart(chartPath);
  const name =
    args.length === 2 ? args[0] : generate ? `${chart.metadata.name}-${Math.floor(Date.now() / 1000)}` : 'release-name';
  if (!RELEASE_NAME.test(name) || name.length > 53)
    throw new CommandError(
      `invalid release name, must match regex ${RELEASE_NAME.source} and the length must not be longer than 53`,
    );
  const capabilities: Capabilities = {
    apiVersions: [...DEFAULT_API_VERSIONS, ...(flags.get('api-versions') ?? [])],
    kubeVersion: flags.get('kube-version')?.at(-1) ?? DEFAULT_KUBE_VERSION,
    helmVersion: HELM_VERSION,
  };
  const renderer = await HelmRenderer.load();
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
    readFile: (file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        throw new Error(`open ${file}: no such file or directory`);
      }
    },
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

async function main(): Promise<void> {
  const [command, ...argv] = process.argv.slice(2);
  if (command === 'template') await template(argv);
  else
    throw new CommandError(
      command === undefined ? 'a command is required' : `unknown command "${command}" for "chart"`,
    );
}

main().catch((err: unknown) => {
  process.stderr.write(`Error: ${errorMessage(err)}\n`);
  process.exit(1);
});
