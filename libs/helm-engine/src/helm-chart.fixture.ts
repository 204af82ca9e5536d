import type { Chart } from './chart';
import type { ChartMetadata, RenderInput } from './renderer';

/** A chart made in memory, as the loader would return it. */
export function chartOf(
  name: string,
  opts: {
    metadata?: Partial<ChartMetadata>;
    values?: Record<string, unknown>;
    schema?: Record<string, unknown>;
    templates?: Record<string, string>;
    files?: Record<string, string>;
    dependencies?: Chart[];
  } = {},
): Chart {
  const file = ([n, text]: [string, string]) => ({ name: n, data: Buffer.from(text) });
  return {
    metadata: { apiVersion: 'v2', name, version: '1.2.3', appVersion: '4.5', ...opts.metadata },
    values: opts.values ?? {},
    ...(opts.schema ? { schema: opts.schema } : {}),
    templates: Object.entries(opts.templates ?? {}).map(([n, t]) => file([`templates/${n}`, t])),
    files: Object.entries(opts.files ?? {}).map(file),
    dependencies: opts.dependencies ?? [],
  };
}

export const RELEASE: RenderInput['release'] = {
  Name: 'shop',
  Namespace: 'prod',
  IsInstall: true,
  IsUpgrade: false,
  Revision: 1,
  Service: 'Helm',
};

export const CAPABILITIES: RenderInput['capabilities'] = {
  apiVersions: ['v1', 'apps/v1', 'apps/v1/Deployment'],
  kubeVersion: 'v1.32.0',
  helmVersion: 'v3.16.0',
};
