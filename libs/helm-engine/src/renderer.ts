import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Chart, ChartFile } from './chart';

/** Chart.yaml as it is read (apiVersion v1 or v2). */
export interface ChartMetadata {
  apiVersion?: string;
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  type?: string;
  kubeVersion?: string;
  home?: string;
  icon?: string;
  sources?: string[];
  keywords?: string[];
  maintainers?: { name?: string; email?: string; url?: string }[];
  annotations?: Record<string, string>;
  deprecated?: boolean;
  condition?: string;
  tags?: string;
  dependencies?: {
    name: string;
    version?: string;
    repository: string;
    condition?: string;
    tags?: string[];
    enabled?: boolean;
    'import-values'?: unknown[];
    alias?: string;
  }[];
}

/** `.Release`, named as Helm names its keys. */
export interface ReleaseInfo {
  Name: string;
  Namespace: string;
  IsInstall: boolean;
  IsUpgrade: boolean;
  Revision: number;
  Service: 'Helm';
}

/** `.Capabilities`: what the cluster serves ("apps/v1", "apps/v1/Deployment"), its version ("v1.32.0"), Helm's. */
export interface Capabilities {
  apiVersions: string[];
  kubeVersion: string;
  helmVersion: string;
}

/** `lookup`: the live object, or undefined when there is none. */
export type LookupFn = (
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
) => Promise<Record<string, unknown> | undefined>;

/** What the user gave for values, each kind in the order given; Helm merges them in this order of kinds. */
export interface UserValues {
  /** `-f`: YAML documents with the name errors show. */
  files?: { name: string; text: string }[];
  setJson?: string[];
  set?: string[];
  setString?: string[];
  /** `key=path`: the file's text is the value (read through RenderInput.readFile). */
  setFile?: string[];
}

export interface RenderInput {
  chart: Chart;
  values?: UserValues;
  release: ReleaseInfo;
  capabilities: Capabilities;
  /** `--strict`: a missing value is an error. */
  strict?: boolean;
  lookup?: LookupFn;
  /** For --set-file: a file's text; throws `open <path>: …` when it cannot. */
  readFile?: (path: string) => string;
}

export interface Rendered {
  /** Every template of the enabled tree that is not a partial, by name ("web/templates/NOTES.txt" too). */
  manifests: Record<string, string>;
  /** crds/ files of the enabled charts, by name ("web/charts/db/crds/a.yaml"). */
  crds: { name: string; text: string }[];
  /** The user's values, merged: what a release keeps as its config. */
  config: Record<string, unknown>;
  /** The values the chart's templates saw (defaults coalesced under the user's). */
  values: Record<string, unknown>;
  /** What Helm would log as warnings (a condition that is not a bool, a missing import). */
  warnings: string[];
}

/** A template that does not parse or fails while it runs; the message is Helm's. */
export class ChartRenderError extends Error {}

// Node's WebAssembly and Go's wasm_exec.js runtime, as far as they are used here (the TS lib has no WebAssembly types).
interface GoRuntime {
  importObject: object;
  run(instance: object): Promise<void>;
}

interface RendererGlobals {
  WebAssembly: { instantiate(bytes: Buffer, imports: object): Promise<{ instance: object }> };
  Go: new () => GoRuntime;
  skiffHelmRender(
    request: string,
    lookup: (...args: string[]) => Promise<string>,
    readFile: (path: string) => string,
  ): Promise<string>;
  skiffYamlToJson(text: string): string | Error;
  skiffJsonToYaml(text: string): string | Error;
  skiffPickVersion(constraint: string, versions: string): number | Error;
  skiffCompareVersions(a: string, b: string): number;
  skiffComputedValues(chartValues: string, config: string): string | Error;
}

const globals = globalThis as unknown as RendererGlobals;
let loaded: Promise<HelmRenderer> | undefined;

/**
 * Helm's template engine: Go's own text/template, Sprig and Helm's functions, compiled to WebAssembly
 * (libs/helm-engine/go, built by `npm run build` into dist/helm-renderer/) and run in this process.
 */
export class HelmRenderer {
  private constructor() {}

  /** The one renderer of this process (the Go program is started once). */
  static load(): Promise<HelmRenderer> {
    loaded ??= (async () => {
      const dir = rendererDir();
      // wasm_exec.js (Go's, copied beside the build) defines globalThis.Go.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.join(dir, 'wasm_exec.js'));
      const go = new globals.Go();
      const { instance } = await globals.WebAssembly.instantiate(
        readFileSync(path.join(dir, 'render.wasm')),
        go.importObject,
      );
      void go.run(instance);
      return new HelmRenderer();
    })();
    // A failed start (no build yet) is not kept: the next call tries again.
    loaded.catch(() => (loaded = undefined));
    return loaded;
  }

  /** The chart's values worked out as Helm does, and every template of its enabled tree rendered. */
  async render(input: RenderInput): Promise<Rendered> {
    const request = JSON.stringify({
      chart: chartNode(input.chart),
      values: input.values ?? {},
      release: input.release,
      capabilities: input.capabilities,
      strict: input.strict ?? false,
    });
    const lookup = async (apiVersion: string, kind: string, namespace: string, name: string) => {
      const obj = await input.lookup?.(apiVersion, kind, namespace, name);
      return obj ? JSON.stringify(obj) : '';
    };
    const readFile = (file: string): string => {
      if (!input.readFile) throw new Error(`open ${file}: no such file or directory`);
      return input.readFile(file);
    };
    try {
      return JSON.parse(await globals.skiffHelmRender(request, lookup, readFile)) as Rendered;
    } catch (err) {
      throw new ChartRenderError(err instanceof Error ? err.message : String(err));
    }
  }

  /** A YAML document as Helm reads a values file: YAML 1.1 scalars, every number a float64; throws the parser's error. */
  yamlToJson(text: string): unknown {
    const out = globals.skiffYamlToJson(text);
    if (out instanceof Error) throw new ChartRenderError(out.message);
    return JSON.parse(out);
  }

  /**
   * Which of a chart's versions (newest first) Helm picks for `--version` (an exact version or a semver constraint;
   * empty for the newest): its index, or -1 when none matches. A constraint that does not parse is an error.
   */
  pickVersion(constraint: string, versions: string[]): number {
    const out = globals.skiffPickVersion(constraint, JSON.stringify(versions));
    if (out instanceof Error) throw new ChartRenderError(out.message);
    return out;
  }

  /** Helm's order of chart versions in an index: semver, newest first, what is not semver last. */
  compareVersions(a: string, b: string): number {
    return globals.skiffCompareVersions(a, b);
  }

  /** A release's config over its chart's values, as `helm get values --all` coalesces them. */
  computedValues(chartValues: Record<string, unknown>, config: Record<string, unknown>): Record<string, unknown> {
    const out = globals.skiffComputedValues(JSON.stringify(chartValues ?? {}), JSON.stringify(config ?? {}));
    if (out instanceof Error) throw new ChartRenderError(out.message);
    return JSON.parse(out) as Record<string, unknown>;
  }

  /** A value as Helm prints values (`helm get values`): YAML with sorted keys and unindented lists. */
  toYaml(value: unknown): string {
    const out = globals.skiffJsonToYaml(JSON.stringify(value));
    if (out instanceof Error) throw new ChartRenderError(out.message);
    return out;
  }
}

/** A loaded chart as the Go side takes it (files base64, values and schema as JSON text). */
function chartNode(c: Chart): object {
  const b64 = (files: ChartFile[]) => files.map((f) => ({ name: f.name, data: f.data.toString('base64') }));
  return {
    metadata: c.metadata,
    values: JSON.stringify(c.values),
    schema: c.schema ? JSON.stringify(c.schema) : '',
    templates: b64(c.templates),
    files: b64(c.files),
    dependencies: c.dependencies.map(chartNode),
  };
}

/** dist/helm-renderer/ above this file, whether it runs from source or from dist/. */
function rendererDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', 'helm-renderer');
    if (existsSync(path.join(candidate, 'render.wasm'))) return candidate;
    if (path.dirname(dir) === dir)
      throw new Error('dist/helm-renderer/render.wasm is missing: run `npm run build` first');
  }
}
