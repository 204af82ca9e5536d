import { isJsonObject, JsonObject, JsonValue, KubeObject } from '@skiff/api-machinery';

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
// Upstream's WarnOnlyBoundTokenExpirationSeconds: kubelet's token for the projected volume.
const TOKEN_EXPIRATION_SECONDS = 3607;

/** The ServiceAccount a pod runs as: spec.serviceAccountName, else the deprecated spec.serviceAccount, else `default`. */
export function serviceAccountNameOf(pod: KubeObject): string {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const name = spec.serviceAccountName || spec.serviceAccount;
  return typeof name === 'string' && name !== '' ? name : 'default';
}

/** The pod's automountServiceAccountToken if set, else its ServiceAccount's, else true. */
export function shouldAutomount(pod: KubeObject, sa: KubeObject): boolean {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  return typeof sa.automountServiceAccountToken === 'boolean' ? sa.automountServiceAccountToken : true;
}

/**
 * The ServiceAccount admission plugin's token mount: a projected `kube-api-access-<random>` volume (a bound token, the
 * cluster CA, the namespace) mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container
 * and init container that has nothing mounted there yet. A pod that already has such a volume keeps it.
 */
export function withServiceAccountToken(pod: KubeObject, generatedVolumeName: string): KubeObject {
  const spec: JsonObject = isJsonObject(pod.spec) ? { ...pod.spec } : {};
  const volumes = Array.isArray(spec.volumes) ? [...spec.volumes] : [];
  const existing = volumes.find((v) => isJsonObject(v) && String(v.name).startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const volumeName = isJsonObject(existing) ? String(existing.name) : generatedVolumeName;
  let needsVolume = false;
  for (const field of ['initContainers', 'containers']) {
    if (!Array.isArray(spec[field])) continue;
    spec[field] = (spec[field] as JsonValue[]).map((c) => {
      if (!isJsonObject(c)) return c;
      const mounts = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
      if (mounts.some((m) => isJsonObject(m) && m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) return c;
      needsVolume = true;
      return {
        ...c,
        volumeMounts: [...mounts, { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }],
      };
    });
  }
  if (!existing && needsVolume) volumes.push(serviceAccountVolume(volumeName));
  if (volumes.length > 0) spec.volumes = volumes;
  return { ...pod, spec };
}

function serviceAccountVolume(name: string): JsonObject {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIG_MAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
      defaultMode: 0o644,
    },
  };
}
