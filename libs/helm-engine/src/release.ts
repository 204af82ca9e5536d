import { KubeObject } from '@skiff/api-machinery';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Chart } from './chart';
import type { ChartMetadata } from './renderer';

/** A release's state, as Helm names it. */
export type ReleaseStatus =
  | 'unknown'
  | 'deployed'
  | 'uninstalled'
  | 'superseded'
  | 'failed'
  | 'uninstalling'
  | 'pending-install'
  | 'pending-upgrade'
  | 'pending-rollback';

export type HookEvent =
  | 'pre-install'
  | 'post-install'
  | 'pre-delete'
  | 'post-delete'
  | 'pre-upgrade'
  | 'post-upgrade'
  | 'pre-rollback'
  | 'post-rollback'
  | 'test';

export type HookDeletePolicy = 'before-hook-creation' | 'hook-succeeded' | 'hook-failed';

/** One hook of a release, as Helm keeps it (JSON field names are Helm's). */
export interface ReleaseHook {
  name: string;
  kind: string;
  path: string;
  manifest: string;
  events: HookEvent[];
  last_run: { started_at: string; completed_at: string; phase: '' | 'Unknown' | 'Running' | 'Succeeded' | 'Failed' };
  weight: number;
  delete_policies: HookDeletePolicy[];
}

/** A chart as a release keeps it: this level only (Helm does not keep the subcharts), file contents base64. */
export interface ReleaseChart {
  metadata: ChartMetadata;
  lock: null;
  templates: { name: string; data: string }[];
  values: Record<string, unknown>;
  schema: string | null;
  files: { name: string; data: string }[];
}

/** One revision of a release, in Helm 3's JSON (what `helm` reads from its Secrets). */
export interface Release {
  name: string;
  info: {
    first_deployed: string;
    last_deployed: string;
    /** "" while not deleted. */
    deleted: string;
    description: string;
    status: ReleaseStatus;
    notes?: string;
  };
  chart: ReleaseChart;
  config: Record<string, unknown>;
  manifest: string;
  hooks?: ReleaseHook[];
  version: number;
  namespace: string;
}

/** The kind of Secret Helm 3 keeps a revision in. */
export const RELEASE_SECRET_TYPE = 'helm.sh/release.v1';

/** `sh.helm.release.v1.<name>.v<version>` */
export function releaseSecretName(name: string, version: number): string {
  return `sh.helm.release.v1.${name}.v${version}`;
}

/** The chart as a release keeps it. */
export function releaseChartOf(chart: Chart): ReleaseChart {
  const b64 = (files: Chart['files']) => files.map((f) => ({ name: f.name, data: f.data.toString('base64') }));
  return {
    metadata: chart.metadata,
    lock: null,
    templates: b64(chart.templates),
    values: chart.values,
    schema: chart.schema ? Buffer.from(JSON.stringify(chart.schema)).toString('base64') : null,
    files: b64(chart.files),
  };
}

/** A release as Helm encodes it for storage: gzip, then base64. */
export function encodeRelease(rel: Release): string {
  return gzipSync(Buffer.from(JSON.stringify(rel))).toString('base64');
}

/** Reads what encodeRelease (or Helm) wrote; plain JSON (older Helm 3) is read too. */
export function decodeRelease(encoded: string): Release {
  let data = Buffer.from(encoded, 'base64');
  if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
  return JSON.parse(data.toString('utf8')) as Release;
}

/** The Secret a revision lives in, with Helm's labels (`createdAt` on a new one, `modifiedAt` on an update). */
export function releaseSecret(rel: Release, stamp: { createdAt?: number; modifiedAt?: number }): KubeObject {
  const labels: Record<string, string> = {
    name: rel.name,
    owner: 'helm',
    status: rel.info.status,
    version: String(rel.version),
  };
  if (stamp.createdAt !== undefined) labels.createdAt = String(stamp.createdAt);
  if (stamp.modifiedAt !== undefined) labels.modifiedAt = String(stamp.modifiedAt);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: releaseSecretName(rel.name, rel.version), namespace: rel.namespace, labels },
    type: RELEASE_SECRET_TYPE,
    data: { release: Buffer.from(encodeRelease(rel)).toString('base64') },
  };
}

/** The revision a Helm release Secret holds. */
export function releaseFromSecret(secret: KubeObject): Release {
  const data = (secret.data as Record<string, string> | undefined)?.release;
  if (secret.type !== RELEASE_SECRET_TYPE || !data)
    throw new Error(`secret ${secret.metadata.name} is not a Helm release (type ${String(secret.type)})`);
  return decodeRelease(Buffer.from(data, 'base64').toString('utf8'));
}
