import {
  apiRequest,
  ApiResponse,
  eventually,
  freePort,
  openWatch,
  startTestCluster,
  TestCluster,
} from '@skiff/testing';
import { RunningStack } from '@skiff/stack';

// The parts of API answers these tests read.
interface Meta {
  name: string;
  deletionTimestamp?: string;
  namespace?: string;
  resourceVersion: string;
  finalizers?: string[];
}
interface CronTab {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec: { cronSpec: string; image?: string; replicas?: number; selector?: string };
  status?: { replicas?: number };
  anything?: unknown;
}
interface List<T> {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string };
  items: T[];
}
interface Crd {
  metadata: Meta;
  status?: {
    conditions?: { type: string; status: string; reason?: string }[];
    acceptedNames?: unknown;
    storedVersions?: string[];
  };
}
interface GroupList {
  groups: { name: string; versions: { version: string }[]; preferredVersion: unknown }[];
}
interface Aggregated {
  items: { metadata: { name: string }; versions: { version: string; resources: unknown[] }[] }[];
}
interface OpenApi {
  paths: Record<string, { serverRelativeURL?: string; patch?: { requestBody: { content: Record<string, unknown> } } }>;
  components: {
    schemas: Record<
      string,
      { 'x-kubernetes-group-version-kind': unknown; properties: { spec: { properties: Record<string, unknown> } } }
    >;
  };
  definitions: Record<string, unknown>;
}
interface Failure {
  message: string;
  details: { causes: { field: string; message: string }[] };
}
interface Table {
  columnDefinitions: { name: string }[];
  rows: { cells: unknown[] }[];
}

const CRONTABS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const V1 = '/apis/stable.example.com/v1';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

const cronTabSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['cronSpec'],
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\S+ ){4}\\S+$' },
        image: { type: 'string' },
        replicas: { type: 'integer', minimum: 0, default: 1 },
        selector: { type: 'string' },
      },
    },
    status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
  },
};

const cronTabCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'], categories: ['all'] },
    versions: ['v1', 'v1beta1'].map((name) => ({
      name,
      served: true,
      storage: name === 'v1',
      schema: { openAPIV3Schema: cronTabSchema },
      subresources: {
        status: {},
        scale: {
          specReplicasPath: '.spec.replicas',
          statusReplicasPath: '.status.replicas',
          labelSelectorPath: '.spec.selector',
        },
      },
      additionalPrinterColumns: [
        { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      ],
    })),
  },
};

describe('CustomResourceDefinitions in the API server', () => {
  let cluster: TestCluster;
  let replica: RunningStack;
  const api = (method: string, path: string, body?: unknown, type?: string): Promise<ApiResponse> =>
    apiRequest(cluster.stack, method, path, body, type);
  const get = async <T = CronTab>(path: string): Promise<T> => (await api('GET', path)).body as T;
  const cronTabs = `${V1}/namespaces/default/crontabs`;

  beforeAll(async () => {
    cluster = await startTestCluster();
    // A second gateway: it must learn of CRDs created through the first one.
    const port = await freePort();
    cluster.stack.addReplica('api-gateway', { SKIFF_API_PORT: String(port) });
    replica = { ...cluster.stack, server: `https://127.0.0.1:${port}` };
    await eventually(
      async () => (await apiRequest(replica, 'GET', '/readyz').catch(() => undefined))?.body === 'ok',
      60_000,
      'the second gateway',
    );
    expect((await api('POST', CRONTABS, cronTabCrd)).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('establishes the CRD and serves it in discovery on every gateway', async () => {
    const crd = await eventually(
      async () => {
        const c = await get<Crd>(`${CRONTABS}/crontabs.stable.example.com`);
        return c.status?.conditions?.find((x) => x.type === 'Established')?.status === 'True' ? c.status : undefined;
      },
      20_000,
      'Established',
    );
    expect(crd.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['NamesAccepted=True', 'Established=True']);
    expect(crd.acceptedNames).toEqual({
      plural: 'crontabs',
      singular: 'crontab',
      kind: 'CronTab',
      listKind: 'CronTabList',
      shortNames: ['ct'],
      categories: ['all'],
    });
    expect(crd.storedVersions).toEqual(['v1']);

    for (const stack of [cluster.stack, replica]) {
      const groups = await eventually(
        async () => {
          const list = (await apiRequest(stack, 'GET', '/apis')).body as GroupList;
          return list.groups.find((g) => g.name === 'stable.example.com');
        },
        20_000,
        'the group in /apis',
      );
      expect(groups.preferredVersion).toEqual({ groupVersion: 'stable.example.com/v1', version: 'v1' });
      expect(groups.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
    }
    const { resources } = await get<{ resources: { name: string }[] }>(V1);
    expect(resources.map((r) => r.name)).toEqual(['crontabs', 'crontabs/status', 'crontabs/scale']);
    expect(resources[0]).toMatchObject({
      singularName: 'crontab',
      namespaced: true,
      kind: 'CronTab',
      shortNames: ['ct'],
      categories: ['all'],
    });
    expect(resources[2]).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const aggregated = await getAs<Aggregated>(replica, '/apis', AGGREGATED);
    const group = aggregated.items.find((g) => g.metadata.name === 'stable.example.com');
    expect(group?.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
    expect(group?.versions[0].resources[0]).toMatchObject({
      resource: 'crontabs',
      scope: 'Namespaced',
      shortNames: ['ct'],
      categories: ['all'],
    });
  });

  it('publishes the schema in OpenAPI v3 and v2, without strategic merge patch', async () => {
    const index = await get<OpenApi>('/openapi/v3');
    expect(index.paths['apis/stable.example.com/v1']).toBeDefined();
    const doc = await get<OpenApi>('/openapi/v3/apis/stable.example.com/v1');
    const schema = doc.components.schemas['com.example.stable.v1.CronTab'];
    expect(schema['x-kubernetes-group-version-kind']).toEqual([
      { group: 'stable.example.com', kind: 'CronTab', version: 'v1' },
    ]);
    expect(schema.properties.spec.properties.replicas).toEqual({ type: 'integer', minimum: 0, default: 1 });
    const patch = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'].patch;
    expect(Object.keys(patch?.requestBody.content ?? {})).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
    ]);
    const v2 = await get<OpenApi>('/openapi/v2');
    expect(v2.definitions['com.example.stable.v1beta1.CronTab']).toBeDefined();
  });

  it('creates with defaults and pruning, rejects invalid objects with field paths, and serves every version', async () => {
    const created = await api('POST', cronTabs, {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'nightly' },
      spec: { cronSpec: '0 3 * * *', extra: true },
    });
    expect(created.status).toBe(201);
    expect((created.body as CronTab).spec).toEqual({ cronSpec: '0 3 * * *', replicas: 1 });
    expect(created.headers['warning']).toContain('unknown field \\"spec.extra\\"');

    const bad = await api('POST', cronTabs, {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'bad' },
      spec: { cronSpec: 'often', replicas: 'two' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({
      reason: 'Invalid',
      details: {
        kind: 'CronTab',
        group: 'stable.example.com',
        causes: [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.cronSpec',
            message: 'Invalid value: "often": spec.cronSpec in body should match \'^(\\S+ ){4}\\S+$\'',
          },
          {
            reason: 'FieldValueTypeInvalid',
            field: 'spec.replicas',
            message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
          },
        ],
      },
    });

    const beta = await get(`/apis/stable.example.com/v1beta1/namespaces/default/crontabs/nightly`);
    expect(beta.apiVersion).toBe('stable.example.com/v1beta1');
    const updated = await api('PUT', `/apis/stable.example.com/v1beta1/namespaces/default/crontabs/nightly`, {
      ...beta,
      spec: { ...beta.spec, image: 'busybox' },
    });
    expect(updated.status).toBe(200);
    expect((updated.body as CronTab).apiVersion).toBe('stable.example.com/v1beta1');
    expect(await get(`${cronTabs}/nightly`)).toMatchObject({
      apiVersion: 'stable.example.com/v1',
      spec: { image: 'busybox' },
    });
    const list = await get<List<CronTab>>(`/apis/stable.example.com/v1beta1/crontabs`);
    expect(list).toMatchObject({
      kind: 'CronTabList',
      apiVersion: 'stable.example.com/v1beta1',
      items: [{ apiVersion: 'stable.example.com/v1beta1', metadata: { name: 'nightly' } }],
    });
  });

  it('patches with merge and JSON patch but refuses strategic merge patch', async () => {
    const merged = await api(
      'PATCH',
      `${cronTabs}/nightly`,
      { spec: { image: 'busybox:1.36' } },
      'application/merge-patch+json',
    );
    expect((merged.body as CronTab).spec.image).toBe('busybox:1.36');
    const smp = await api(
      'PATCH',
      `${cronTabs}/nightly`,
      { spec: { image: 'x' } },
      'application/strategic-merge-patch+json',
    );
    expect(smp.status).toBe(415);
    const invalid = await api(
      'PATCH',
      `${cronTabs}/nightly`,
      [{ op: 'replace', path: '/spec/replicas', value: -1 }],
      'application/json-patch+json',
    );
    expect((invalid.body as Failure).details.causes[0]).toMatchObject({
      field: 'spec.replicas',
      message: 'Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
    });
  });

  it('watches custom resources in the requested version', async () => {
    const list = await get<List<CronTab>>(`/apis/stable.example.com/v1beta1/namespaces/default/crontabs`);
    const w = openWatch(
      cluster.stack,
      `/apis/stable.example.com/v1beta1/namespaces/default/crontabs?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
    );
    await api('POST', cronTabs, {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'hourly' },
      spec: { cronSpec: '0 * * * *' },
    });
    await api('DELETE', `${cronTabs}/hourly`);
    await eventually(async () => w.events.length >= 2, 20_000, 'two watch events');
    w.close();
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name} ${e.object['apiVersion']}`)).toEqual([
      'ADDED hourly stable.example.com/v1beta1',
      'DELETED hourly stable.example.com/v1beta1',
    ]);
  });

  it('keeps spec and status apart with the status subresource and maps /scale', async () => {
    const current = await get(`${cronTabs}/nightly`);
    const viaStatus = await api('PUT', `${cronTabs}/nightly/status`, {
      ...current,
      spec: { ...current.spec, replicas: 9 },
      status: { replicas: 2 },
    });
    expect(viaStatus.status).toBe(200);
    expect((viaStatus.body as CronTab).spec.replicas).toBe(1);
    expect((viaStatus.body as CronTab).status).toEqual({ replicas: 2 });
    const viaMain = await api('PUT', `${cronTabs}/nightly`, {
      ...(viaStatus.body as CronTab),
      status: { replicas: 7 },
      spec: { ...current.spec, selector: 'app=cron' },
    });
    expect((viaMain.body as CronTab).status).toEqual({ replicas: 2 });

    expect(await get<unknown>(`${cronTabs}/nightly/scale`)).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 1 },
      status: { replicas: 2, selector: 'app=cron' },
    });
    const scaled = await api(
      'PATCH',
      `${cronTabs}/nightly/scale`,
      { spec: { replicas: 3 } },
      'application/merge-patch+json',
    );
    expect((scaled.body as CronTab).spec.replicas).toBe(3);
    expect((await get(`${cronTabs}/nightly`)).spec.replicas).toBe(3);
  });

  it('prints the printer columns in Table output', async () => {
    const table = await getAs<Table>(cluster.stack, cronTabs, TABLE);
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Spec', 'Replicas']);
    expect(table.rows[0].cells).toEqual(['nightly', '0 3 * * *', 3]);
  });

  it('serves custom resources as soon as a restarted gateway answers', async () => {
    await cluster.stack.restartApiServer();
    expect((await get(`${cronTabs}/nightly`)).spec.replicas).toBe(3);
    const table = await getAs<Table>(cluster.stack, cronTabs, TABLE);
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Spec', 'Replicas']);
  });

  it('serves cluster-scoped custom resources and refuses a CRD that is not structural', async () => {
    const invalid = await api('POST', CRONTABS, {
      metadata: { name: 'things.ops.example.com' },
      spec: {
        group: 'ops.example.com',
        scope: 'Cluster',
        names: { plural: 'things', kind: 'Thing' },
        versions: [{ name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    });
    expect(invalid.status).toBe(422);
    expect((invalid.body as Failure).message).toBe(
      'CustomResourceDefinition.apiextensions.k8s.io "things.ops.example.com" is invalid: spec.versions: Invalid value: ["v1"]: must have exactly one version marked as storage version',
    );
    const thing = {
      metadata: { name: 'things.ops.example.com' },
      spec: {
        group: 'ops.example.com',
        scope: 'Cluster',
        names: { plural: 'things', kind: 'Thing' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    expect((await api('POST', CRONTABS, thing)).status).toBe(201);
    const things = '/apis/ops.example.com/v1/things';
    const created = await eventually(
      async () => {
        const r = await api('POST', things, {
          apiVersion: 'ops.example.com/v1',
          kind: 'Thing',
          metadata: { name: 'one' },
          anything: { goes: [1] },
        });
        return r.status === 201 ? r : undefined;
      },
      20_000,
      'the things endpoint',
    );
    expect((created.body as CronTab).anything).toEqual({ goes: [1] });
    expect((created.body as CronTab).metadata.namespace).toBeUndefined();
    expect((await api('GET', '/apis/ops.example.com/v1/namespaces/default/things/one')).status).toBe(404);
    expect((await get(`${things}/one`)).anything).toEqual({ goes: [1] });
  });

  it('deletes the objects of a deleted CRD, then the CRD, and stops serving it', async () => {
    // An object with a finalizer of its own holds the CRD in Terminating until it goes.
    await api(
      'PATCH',
      `${cronTabs}/nightly`,
      { metadata: { finalizers: ['example.com/hold'] } },
      'application/merge-patch+json',
    );
    const del = await api('DELETE', `${CRONTABS}/crontabs.stable.example.com`);
    expect((del.body as Crd).metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    const terminating = await eventually(
      async () => {
        const c = await get<Crd>(`${CRONTABS}/crontabs.stable.example.com`);
        return c.status?.conditions?.find((x) => x.type === 'Terminating' && x.status === 'True');
      },
      20_000,
      'the Terminating condition',
    );
    expect(terminating).toMatchObject({ reason: 'InstanceDeletionInProgress' });
    const refused = await api('POST', cronTabs, {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'late' },
      spec: { cronSpec: '* * * * *' },
    });
    expect(refused.status).toBe(405);
    expect((refused.body as Failure).message).toBe(
      'create not allowed while custom resource definition is terminating',
    );
    expect((await get(`${cronTabs}/nightly`)).metadata).toMatchObject({ deletionTimestamp: expect.any(String) });
    await api('PATCH', `${cronTabs}/nightly`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    await eventually(
      async () => (await api('GET', `${CRONTABS}/crontabs.stable.example.com`)).status === 404,
      30_000,
      'the CRD to go',
    );
    for (const stack of [cluster.stack, replica]) {
      await eventually(
        async () => (await apiRequest(stack, 'GET', V1)).status === 404,
        20_000,
        'the group version to leave discovery',
      );
      const groups = ((await apiRequest(stack, 'GET', '/apis')).body as GroupList).groups.map((g) => g.name);
      expect(groups).not.toContain('stable.example.com');
    }
    expect((await get<OpenApi>('/openapi/v3')).paths['apis/stable.example.com/v1']).toBeUndefined();
    // Recreated, the CRD starts empty: the old objects went with it.
    expect((await api('POST', CRONTABS, cronTabCrd)).status).toBe(201);
    const list = await eventually(
      async () => {
        const r = await api('GET', cronTabs);
        return r.status === 200 ? (r.body as List<CronTab>) : undefined;
      },
      20_000,
      'the recreated endpoint',
    );
    expect(list.items).toEqual([]);
  });
});

async function getAs<T>(stack: RunningStack, path: string, accept: string): Promise<T> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, stack.server),
      { ca: stack.ca, headers: { authorization: `Bearer ${stack.token}`, accept } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(JSON.parse(text) as T));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
