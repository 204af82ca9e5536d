import {
  configMapData,
  ConfigObjectSource,
  DownwardContext,
  fieldValue,
  resourceValue,
  secretData,
} from '../pods/env-resolver';
import { DownwardAPIVolumeFile, KeyToPath, Pod, Volume } from '@skiff/kube-types';
import { errorMessage } from '@skiff/api-machinery';
import { VolumeError } from './volume.error';

/** One file of a projected volume: relative path → content and mode. */
export interface ProjectedFile {
  data: Buffer;
  mode: number;
}

export type VolumePayload = Map<string, ProjectedFile>;

const DEFAULT_MODE = 0o644;

/** True for the volume kinds whose content the agent writes as files (and refreshes). */
export function isProjectedKind(v: Volume): boolean {
  return Boolean(v.configMap || v.secret || v.downwardAPI || v.projected);
}

/** The files of a configMap, secret, downwardAPI or projected volume, as kubelet lays them out. */
export async function volumePayload(
  pod: Pod,
  v: Volume,
  source: ConfigObjectSource,
  ctx: DownwardContext,
): Promise<VolumePayload> {
  const ns = pod.metadata.namespace ?? 'default';
  const out: VolumePayload = new Map();
  if (v.configMap) {
    const cm = v.configMap.name ? await source.configMap(ns, v.configMap.name) : undefined;
    if (!cm && !v.configMap.optional)
      throw new VolumeError(
        'FailedMount',
        `MountVolume.SetUp failed for volume "${v.name}" : configmap "${v.configMap.name}" not found`,
      );
    addKeys(
      out,
      cm ? configMapData(cm) : {},
      v.configMap.items,
      v.configMap.defaultMode ?? DEFAULT_MODE,
      v,
      v.configMap.optional,
      `configmap "${v.configMap.name}"`,
    );
  }
  if (v.secret) {
    const s = v.secret.secretName ? await source.secret(ns, v.secret.secretName) : undefined;
    if (!s && !v.secret.optional)
      throw new VolumeError(
        'FailedMount',
        `MountVolume.SetUp failed for volume "${v.name}" : secret "${v.secret.secretName}" not found`,
      );
    addKeys(
      out,
      s ? secretData(s) : {},
      v.secret.items,
      v.secret.defaultMode ?? DEFAULT_MODE,
      v,
      v.secret.optional,
      `secret "${v.secret.secretName}"`,
    );
  }
  if (v.downwardAPI) addDownward(out, pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, ctx);
  if (v.projected) {
    const mode = v.projected.defaultMode ?? DEFAULT_MODE;
    for (const src of v.projected.sources ?? []) {
      if (src.configMap) {
        const cm = src.configMap.name ? await source.configMap(ns, src.configMap.name) : undefined;
        if (!cm && !src.configMap.optional)
          throw new VolumeError(
            'FailedMount',
            `MountVolume.SetUp failed for volume "${v.name}" : configmap "${src.configMap.name}" not found`,
          );
        addKeys(
          out,
          cm ? configMapData(cm) : {},
          src.configMap.items,
          mode,
          v,
          src.configMap.optional,
          `configmap "${src.configMap.name}"`,
        );
      }
      if (src.secret) {
        const s = src.secret.name ? await source.secret(ns, src.secret.name) : undefined;
        if (!s && !src.secret.optional)
          throw new VolumeError(
            'FailedMount',
            `MountVolume.SetUp failed for volume "${v.name}" : secret "${src.secret.name}" not found`,
          );
        addKeys(
          out,
          s ? secretData(s) : {},
          src.secret.items,
          mode,
          v,
          src.secret.optional,
          `secret "${src.secret.name}"`,
        );
      }
      if (src.downwardAPI) addDownward(out, pod, src.downwardAPI.items ?? [], mode, ctx);
      if (src.serviceAccountToken) {
        const sat = src.serviceAccountToken;
        const token = await source
          .serviceAccountToken(pod, {
            ...(sat.audience ? { audience: sat.audience } : {}),
            expirationSeconds: sat.expirationSeconds ?? 3600,
          })
          .catch((err: unknown) => {
            throw new VolumeError(
              'FailedMount',
              `MountVolume.SetUp failed for volume "${v.name}" : failed to fetch token: ${errorMessage(err)}`,
            );
          });
        out.set(checkPath(sat.path, v), { data: Buffer.from(token, 'utf8'), mode });
      }
    }
  }
  return out;
}

function addKeys(
  out: VolumePayload,
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  mode: number,
  v: Volume,
  optional: boolean | undefined,
  what: string,
): void {
  if (!items?.length) {
    for (const [k, d] of Object.entries(data)) out.set(checkPath(k, v), { data: d, mode });
    return;
  }
  for (const item of items) {
    const d = data[item.key];
    if (d === undefined) {
      if (optional) continue;
      throw new VolumeError(
        'FailedMount',
        `MountVolume.SetUp failed for volume "${v.name}" : configmap references non-existent config key: ${item.key} (${what})`,
      );
    }
    out.set(checkPath(item.path, v), { data: d, mode: item.mode ?? mode });
  }
}

function addDownward(
  out: VolumePayload,
  pod: Pod,
  items: DownwardAPIVolumeFile[],
  mode: number,
  ctx: DownwardContext,
): void {
  for (const item of items) {
    const value = item.fieldRef
      ? fieldValue(pod, item.fieldRef, ctx)
      : item.resourceFieldRef
        ? resourceValue(pod, item.resourceFieldRef, undefined, ctx)
        : '';
    out.set(checkPath(item.path, { name: 'downwardAPI' }), {
      data: Buffer.from(value, 'utf8'),
      mode: item.mode ?? mode,
    });
  }
}

// Relative, no `..` element, not starting with `..` (kubelet's AtomicWriter reserves those names).
function checkPath(p: string, v: Pick<Volume, 'name'>): string {
  const parts = p.split('/');
  if (p.startsWith('/') || parts.some((x) => x === '..' || x === '') || p.startsWith('..')) {
    throw new VolumeError('FailedMount', `volume "${v.name}": invalid path "${p}"`);
  }
  return p;
}
