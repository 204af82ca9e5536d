import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

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

/** One chart of the tree as its templates see it. */
export interface ChartScope {
  metadata: ChartMetadata;
  /** `.Values`: the chart's values with everything merged in. */
  values: Record<string, unknown>;
  /** `.Files`: the chart's other files by their path in it. */
  files: Record<string, Buffer>;
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

/** `lookup`: the live object as JSON text, or undefined when there is none. */
export type LookupFn = (
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
) => Promise<Record<string, unknown> | undefined>;

export interface RenderInput {
  /** By chart path: "web", "web/charts/db". */
  charts: Record<string, ChartScope>;
  /** Every template of the tree, named as Helm names them ("web/templates/deployment.yaml"), with its chart's path. */
  templates: { name: string; data: string; chart: string }[];
  release: ReleaseInfo;
  capabilities: Capabilities;
  /** `--strict`: a missing value is an error. */
  strict?: boolean;
  lookup?: LookupFn;
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
  skiffHelmRender(request: string, lookup: (...args: string[]) => Promise<string>): Promise<string>;
  skiffYamlToJson(text: string): string | Error;
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

  /** Every template whose base name does not start with "_", rendered, by name. */
  async render(input: RenderInput): Promise<Record<string, string>> {
    const charts: Record<string, unknown> = {};
    for (const [name, c] of Object.entries(input.charts)) {
      const files: Record<string, string> = {};
      for (const [p, data] of Object.entries(c.files)) files[p] = data.toString('base64');
      charts[name] = { metadata: c.metadata, values: c.values, files };
    }
    const request = JSON.stringify({
      charts,
      templates: input.templates,
      release: input.release,
      capabilities: input.capabilities,
      strict: input.strict ?? false,
    });
    const lookup = async (apiVersion: string, kind: string, namespace: string, name: string) => {
      const obj = await input.lookup?.(apiVersion, kind, namespace, name);
      return obj ? JSON.stringify(obj) : '';
    };
    try {
      return JSON.parse(await globals.skiffHelmRender(request, lookup)) as Record<string, string>;
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
