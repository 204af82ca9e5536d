import { ApiError, JsonObject, KubeObject } from '@skiff/api-machinery';
import { FakeClock } from '@skiff/testing';
import { ServiceAccountAdmissionService } from './service-account-admission.service';
import { ObjectMap, serviceAccountServices } from './service-accounts.fixture';

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

const pod = (spec: JsonObject = {}): KubeObject => ({
  metadata: { name: 'web', namespace: 'dev' },
  spec: {
    containers: [{ name: 'app', image: 'busybox' }],
    initContainers: [{ name: 'init', image: 'busybox' }],
    ...spec,
  },
});

interface PodView {
  spec: {
    serviceAccountName: string;
    volumes?: { name: string; projected?: JsonObject }[];
    containers: { volumeMounts?: JsonObject[] }[];
    initContainers: { volumeMounts?: JsonObject[] }[];
  };
}

describe(ServiceAccountAdmissionService.name, () => {
  let store: ObjectMap;
  let clock: FakeClock;
  let admission: ServiceAccountAdmissionService;

  beforeEach(() => {
    store = new ObjectMap();
    clock = new FakeClock();
    ({ admission } = serviceAccountServices(store.asStore(), clock));
    store.put('serviceaccounts', { metadata: { name: 'default', namespace: 'dev', uid: 'sa-1' } });
  });

  it('adds the kube-api-access projected volume, mounted read-only in every container', async () => {
    const out = (await admission.admitPod(pod())) as unknown as PodView;
    expect(out.spec.serviceAccountName).toBe('default');
    expect(out.spec.volumes).toHaveLength(1);
    const v = out.spec.volumes![0];
    expect(v.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(v.projected).toEqual({
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
      defaultMode: 420,
    });
    for (const c of [...out.spec.containers, ...out.spec.initContainers])
      expect(c.volumeMounts).toEqual([{ name: v.name, readOnly: true, mountPath: MOUNT }]);
  });

  it('leaves a container that mounts something at the token path alone', async () => {
    const mine = { name: 'own', mountPath: MOUNT };
    const out = (await admission.admitPod(
      pod({
        volumes: [{ name: 'own', emptyDir: {} }],
        containers: [{ name: 'app', image: 'busybox', volumeMounts: [mine] }],
        initContainers: [],
      }),
    )) as unknown as PodView;
    expect(out.spec.volumes!.map((v) => v.name)).toEqual(['own']);
    expect(out.spec.containers[0].volumeMounts).toEqual([mine]);
  });

  it('mounts nothing when the pod or its ServiceAccount turns automount off; the pod wins', async () => {
    const off = (await admission.admitPod(pod({ automountServiceAccountToken: false }))) as unknown as PodView;
    expect(off.spec.volumes).toBeUndefined();
    expect(off.spec.containers[0].volumeMounts).toBeUndefined();
    store.put('serviceaccounts', {
      metadata: { name: 'quiet', namespace: 'dev', uid: 'sa-2' },
      automountServiceAccountToken: false,
    });
    const bySa = (await admission.admitPod(pod({ serviceAccountName: 'quiet' }))) as unknown as PodView;
    expect(bySa.spec.volumes).toBeUndefined();
    const podWins = (await admission.admitPod(
      pod({ serviceAccountName: 'quiet', automountServiceAccountToken: true }),
    )) as unknown as PodView;
    expect(podWins.spec.volumes).toHaveLength(1);
  });

  it("refuses a pod whose ServiceAccount does not exist with upstream's 403, after waiting a little for `default`", async () => {
    const err = await admission.admitPod(pod({ serviceAccountName: 'ghost' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([(err as ApiError).code, (err as ApiError).message]).toEqual([
      403,
      'pods "web" is forbidden: error looking up service account dev/ghost: serviceaccount "ghost" not found',
    ]);
    expect(clock.slept).toEqual([]);
    const other = { ...pod(), metadata: { name: 'web', namespace: 'fresh' } };
    await expect(admission.admitPod(other)).rejects.toThrow('error looking up service account fresh/default');
    expect(clock.slept).toHaveLength(9);
  });

  it('fills a legacy token Secret of an existing ServiceAccount: token, ca.crt, namespace and the uid annotation', async () => {
    const secret: KubeObject = {
      metadata: {
        name: 'default-token',
        namespace: 'dev',
        annotations: { 'kubernetes.io/service-account.name': 'default' },
      },
      type: 'kubernetes.io/service-account-token',
    };
    const out = await admission.admitSecret(secret);
    const data = out.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'namespace', 'token']);
    expect(Buffer.from(data.namespace, 'base64').toString()).toBe('dev');
    expect(Buffer.from(data['ca.crt'], 'base64').toString()).toContain('BEGIN CERTIFICATE');
    expect(Buffer.from(data.token, 'base64').toString()).toMatch(/^ey[\w-]+\.ey[\w-]+\.[\w-]+$/);
    expect(out.metadata.annotations).toMatchObject({ 'kubernetes.io/service-account.uid': 'sa-1' });
    const orphan = {
      ...secret,
      metadata: { ...secret.metadata, annotations: { 'kubernetes.io/service-account.name': 'x' } },
    };
    expect(await admission.admitSecret(orphan)).toEqual(orphan);
    const opaque = { metadata: { name: 'o', namespace: 'dev' }, type: 'Opaque' };
    expect(await admission.admitSecret(opaque)).toEqual(opaque);
  });

  it('does nothing when the ServiceAccount plugin is disabled', async () => {
    const disabled = serviceAccountServices(store.asStore(), clock, {
      SKIFF_DISABLE_ADMISSION_PLUGINS: 'ServiceAccount',
    }).admission;
    const p = pod({ serviceAccountName: 'ghost' });
    expect(await disabled.admitPod(p)).toEqual(p);
  });
});
