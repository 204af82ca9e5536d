import { apiRequest, ApiResponse, startTestCluster, TestCluster } from '@skiff/testing';

interface Claim {
  metadata: { name: string };
  spec: { storageClassName?: string | null; resources: { requests: { storage: string } } };
}

const DEFAULT = 'storageclass.kubernetes.io/is-default-class';
const RESIZE_REFUSED =
  'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize';

// The DefaultStorageClass and PersistentVolumeClaimResize admission plugins, over kubectl and the API.
// The cluster runs only the API server: no built-in classes, no binder; a claim is bound by hand.
describe('storage admission: DefaultStorageClass and PersistentVolumeClaimResize', () => {
  let cluster: TestCluster;
  const ns = 'storage-admission';
  const claims = `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
  const classes = '/apis/storage.k8s.io/v1/storageclasses';
  const api = (method: string, path: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, path, body, type);
  const kubectl = (args: string[], stdin?: string) =>
    cluster.kubectl(['-n', ns, ...args], stdin === undefined ? {} : { stdin });

  const claim = (name: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  });
  const createClass = async (name: string, fields: Record<string, unknown> = {}, isDefault = false) => {
    const res = await api('POST', classes, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name, ...(isDefault ? { annotations: { [DEFAULT]: 'true' } } : {}) },
      provisioner: 'example.com/disk',
      ...fields,
    });
    expect(res.status).toBe(201);
  };
  const kubectlCreate = async (name: string, spec: Record<string, unknown> = {}): Promise<Claim> => {
    const out = await kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify(claim(name, spec)));
    expect(out.stderr).toBe('');
    return JSON.parse(out.stdout) as Claim;
  };
  const stored = async (name: string): Promise<Claim> => (await api('GET', `${claims}/${name}`)).body as Claim;
  // What the binder would do: the claim takes its volume, then turns Bound.
  const bind = async (name: string) => {
    const merge = 'application/merge-patch+json';
    expect((await api('PATCH', `${claims}/${name}`, { spec: { volumeName: `pv-${name}` } }, merge)).status).toBe(200);
    const bound = { status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } };
    expect((await api('PATCH', `${claims}/${name}/status`, bound, merge)).status).toBe(200);
  };
  const grow = '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}';

  beforeAll(async () => {
    cluster = await startTestCluster();
    expect((await api('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
  }, 90_000);

  // The cluster's database, streams and state go with it.
  afterAll(async () => {
    await cluster?.stop();
  });

  it('leaves a claim without a class when no class is default', async () => {
    await createClass('plain');
    expect((await kubectlCreate('no-default')).spec.storageClassName).toBeUndefined();
    expect((await stored('no-default')).spec.storageClassName).toBeUndefined();
  });

  it('gives a new claim without a class the default one, on create, dry run and server-side apply', async () => {
    await createClass('standard', {}, true);
    expect((await kubectlCreate('defaulted')).spec.storageClassName).toBe('standard');
    expect((await kubectlCreate('null-class', { storageClassName: null })).spec.storageClassName).toBe('standard');
    expect((await stored('defaulted')).spec.storageClassName).toBe('standard');

    const dry = await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(claim('dry')));
    expect(dry.stderr).toBe('');
    expect((JSON.parse(dry.stdout) as Claim).spec.storageClassName).toBe('standard');
    expect((await api('GET', `${claims}/dry`)).status).toBe(404);

    const applied = await kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(claim('applied')));
    expect(applied.stderr).toBe('');
    expect((await stored('applied')).spec.storageClassName).toBe('standard');
  });

  it('leaves "" (no class) and a class asked for as they are', async () => {
    expect((await kubectlCreate('no-class', { storageClassName: '' })).spec.storageClassName).toBe('');
    expect((await stored('no-class')).spec.storageClassName).toBe('');
    expect((await kubectlCreate('asked', { storageClassName: 'plain' })).spec.storageClassName).toBe('plain');
  });

  it('takes the newest of two default classes', async () => {
    // creationTimestamp counts seconds: the second default is made in a later one.
    await new Promise((r) => setTimeout(r, 1100));
    await createClass('zz-newer', {}, true);
    expect((await kubectlCreate('two-defaults')).spec.storageClassName).toBe('zz-newer');
  });

  it("refuses growing a claim whose class does not allow expansion, with upstream's 403", async () => {
    await createClass('fixed', { allowVolumeExpansion: false });
    await kubectlCreate('fixed-claim', { storageClassName: 'fixed' });
    await bind('fixed-claim');

    const patched = await kubectl(['patch', 'pvc', 'fixed-claim', '-p', grow]);
    expect(patched.code).not.toBe(0);
    expect(patched.stderr.trim()).toBe(
      `Error from server (Forbidden): persistentvolumeclaims "fixed-claim" is forbidden: ${RESIZE_REFUSED}`,
    );
    const dry = await kubectl(['patch', 'pvc', 'fixed-claim', '--dry-run=server', '-p', grow]);
    expect(dry.stderr.trim()).toBe(
      `Error from server (Forbidden): persistentvolumeclaims "fixed-claim" is forbidden: ${RESIZE_REFUSED}`,
    );
    const applied = await kubectl(
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      JSON.stringify(claim('fixed-claim', { storageClassName: 'fixed', resources: { requests: { storage: '3Gi' } } })),
    );
    expect(applied.stderr).toContain(`is forbidden: ${RESIZE_REFUSED}`);

    const current = await stored('fixed-claim');
    const put = await api('PUT', `${claims}/fixed-claim`, {
      ...current,
      spec: { ...current.spec, resources: { requests: { storage: '2Gi' } } },
    });
    expect(put).toMatchObject({
      status: 403,
      body: {
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message: `persistentvolumeclaims "fixed-claim" is forbidden: ${RESIZE_REFUSED}`,
        details: { name: 'fixed-claim', kind: 'persistentvolumeclaims' },
      },
    });
    expect((await stored('fixed-claim')).spec.resources.requests.storage).toBe('1Gi');
  });

  it('refuses growing a claim of a class that does not exist', async () => {
    await kubectlCreate('lost-class', { storageClassName: 'gone' });
    await bind('lost-class');
    const patched = await kubectl(['patch', 'pvc', 'lost-class', '-p', grow]);
    expect(patched.stderr.trim()).toBe(
      `Error from server (Forbidden): persistentvolumeclaims "lost-class" is forbidden: ${RESIZE_REFUSED}`,
    );
  });

  it('lets a bound claim of an expandable class grow, and leaves other updates of a fixed one alone', async () => {
    await createClass('expandable', { allowVolumeExpansion: true });
    await kubectlCreate('grows', { storageClassName: 'expandable' });
    await bind('grows');
    const patched = await kubectl(['patch', 'pvc', 'grows', '-p', grow]);
    expect(patched).toMatchObject({ code: 0, stderr: '' });
    expect(patched.stdout.trim()).toBe('persistentvolumeclaim/grows patched');
    expect((await stored('grows')).spec.resources.requests.storage).toBe('2Gi');

    const labelled = await kubectl(['label', 'pvc', 'fixed-claim', 'tier=db']);
    expect(labelled).toMatchObject({ code: 0, stderr: '' });
  });
});
