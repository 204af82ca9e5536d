import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF } from './kubernetes-protobuf.decoder';

// The real kubectl 1.32 posts protobuf bodies to a loopback server that records them. Each decoded
// body must equal what the same kubectl prints for `--dry-run=client -o json`: Go's JSON of the object.
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const run = promisify(execFile);
const describeIfKubectl = existsSync(KUBECTL) ? describe : describe.skip;

type Json = Record<string, unknown>;

interface RecordedRequest {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const resources = (groupVersion: string, list: [string, string, boolean][]): Json => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion,
  resources: list.map(([name, kind, namespaced]) => ({
    name,
    singularName: name.includes('/') ? '' : kind.toLowerCase(),
    namespaced,
    kind,
    verbs: VERBS,
    ...(kind === 'Scale' ? { group: 'autoscaling', version: 'v1' } : {}),
  })),
});
const GROUPS = ['apps', 'batch', 'networking.k8s.io', 'autoscaling', 'policy'];
const DISCOVERY: Record<string, Json> = {
  '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0-skiff' },
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: GROUPS.map((name) => {
      const gv = { groupVersion: `${name}/v1`, version: 'v1' };
      return { name, versions: [gv], preferredVersion: gv };
    }),
  },
  '/api/v1': resources('v1', [
    ['namespaces', 'Namespace', false],
    ['configmaps', 'ConfigMap', true],
    ['secrets', 'Secret', true],
    ['services', 'Service', true],
    ['pods', 'Pod', true],
    ['serviceaccounts', 'ServiceAccount', true],
    ['nodes', 'Node', false],
  ]),
  '/apis/apps/v1': resources('apps/v1', [
    ['deployments', 'Deployment', true],
    ['deployments/scale', 'Scale', true],
  ]),
  '/apis/batch/v1': resources('batch/v1', [
    ['jobs', 'Job', true],
    ['cronjobs', 'CronJob', true],
  ]),
  '/apis/autoscaling/v1': resources('autoscaling/v1', [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]]),
  '/apis/networking.k8s.io/v1': resources('networking.k8s.io/v1', [['ingresses', 'Ingress', true]]),
  '/apis/policy/v1': resources('policy/v1', [['poddisruptionbudgets', 'PodDisruptionBudget', true]]),
};

const notFound = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 };

describeIfKubectl('kubectl 1.32 protobuf request bodies', () => {
  let server: Server;
  let cacheDir: string;
  let port: number;
  let recorded: RecordedRequest[] = [];
  // Objects created so far, by item path, so `expose` and `create job --from` can read them back.
  const store = new Map<string, Json>([
    ['/api/v1/nodes/n1', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'node-uid' } }],
  ]);

  function respond(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, obj: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.method === 'GET') {
      const obj = DISCOVERY[path] ?? store.get(path);
      return obj ? send(200, obj) : send(404, notFound);
    }
    if (req.method !== 'POST') return send(405, { ...notFound, reason: 'MethodNotAllowed', code: 405 });
    const contentType = req.headers['content-type'] ?? '';
    recorded.push({ method: req.method, path, contentType, body });
    const obj =
      contentType === KUBERNETES_PROTOBUF
        ? decodeKubernetesProtobuf(body)
        : (JSON.parse(body.toString('utf8')) as Json);
    if (path.endsWith('/token')) {
      return send(201, {
        ...obj,
        status: { token: 'header.payload.signature', expirationTimestamp: '2030-01-01T00:00:00Z' },
      });
    }
    const meta: Json = {
      ...(obj.metadata as Json),
      namespace: path.includes('/namespaces/default/') ? 'default' : undefined,
      uid: `uid-${store.size}`,
    };
    const created = { ...obj, metadata: meta };
    store.set(`${path}/${String(meta.name)}`, created);
    send(201, created);
  }

  const kubectl = async (...args: string[]): Promise<string> => {
    const env = { ...process.env, KUBECONFIG: join(cacheDir, 'none'), HOME: cacheDir };
    const { stdout } = await run(KUBECTL, ['--server', `http://127.0.0.1:${port}`, '--cache-dir', cacheDir, ...args], {
      env,
      timeout: 30_000,
    });
    return stdout;
  };

  /** Runs `kubectl <args>` for real and returns the one POST it made, decoded, plus its dry-run JSON. */
  async function capture(...args: string[]): Promise<{ request: RecordedRequest; decoded: Json; expected: Json }> {
    const dashes = args.includes('--') ? args.indexOf('--') : args.length;
    const dryRun = [...args.slice(0, dashes), '--dry-run=client', '-o', 'json', ...args.slice(dashes)];
    const expected = JSON.parse(await kubectl(...dryRun)) as Json;
    recorded = [];
    await kubectl(...args);
    expect(recorded).toHaveLength(1);
    const [request] = recorded;
    expect(request.contentType).toBe(KUBERNETES_PROTOBUF);
    return { request, decoded: decodeKubernetesProtobuf(request.body), expected };
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => respond(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    cacheDir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-proto-'));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('create namespace', async () => {
    const { request, decoded, expected } = await capture('create', 'namespace', 'demo');
    expect(request.path).toBe('/api/v1/namespaces');
    expect(decoded).toEqual(expected);
    expect(decoded).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo', creationTimestamp: null },
      spec: {},
      status: {},
    });
  }, 60_000);

  it('create configmap', async () => {
    const { decoded, expected } = await capture(
      'create',
      'configmap',
      'c',
      '--from-literal=a=b',
      '--from-literal=empty=',
    );
    expect(decoded).toEqual(expected);
    expect(decoded.data).toEqual({ a: 'b', empty: '' });
  }, 60_000);

  it('create configmap from a binary file fills binaryData', async () => {
    const file = join(cacheDir, 'blob.bin');
    writeFileSync(file, Buffer.from([0xff, 0x00, 0x01, 0xfe]));
    const { decoded, expected } = await capture(
      'create',
      'configmap',
      'bin',
      `--from-file=${file}`,
      '--from-literal=text=hello',
    );
    expect(decoded).toEqual(expected);
    expect(decoded).toMatchObject({
      data: { text: 'hello' },
      binaryData: { 'blob.bin': Buffer.from([0xff, 0x00, 0x01, 0xfe]).toString('base64') },
    });
  }, 60_000);

  it('create secret generic and docker-registry, with data as base64', async () => {
    const generic = await capture('create', 'secret', 'generic', 's', '--from-literal=p=q', '--type=Opaque');
    expect(generic.decoded).toEqual(generic.expected);
    expect(generic.decoded).toMatchObject({
      kind: 'Secret',
      type: 'Opaque',
      data: { p: Buffer.from('q').toString('base64') },
    });

    const registry = await capture(
      'create',
      'secret',
      'docker-registry',
      'reg',
      '--docker-server=r.example',
      '--docker-username=u',
      '--docker-password=pw',
    );
    expect(registry.decoded).toEqual(registry.expected);
    const data = registry.decoded.data as Record<string, string>;
    expect(JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8'))).toMatchObject({
      auths: { 'r.example': { username: 'u', password: 'pw' } },
    });
  }, 60_000);

  it('create serviceaccount', async () => {
    const { decoded, expected } = await capture('create', 'serviceaccount', 'sa1');
    expect(decoded).toEqual(expected);
    expect(decoded).toMatchObject({ kind: 'ServiceAccount', metadata: { name: 'sa1' } });
  }, 60_000);

  it('create service with numeric and named target ports', async () => {
    const clusterIp = await capture('create', 'service', 'clusterip', 'web', '--tcp=80:8080');
    expect(clusterIp.decoded).toEqual(clusterIp.expected);
    expect(clusterIp.decoded.spec).toMatchObject({
      type: 'ClusterIP',
      ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
      selector: { app: 'web' },
    });

    const nodePort = await capture('create', 'service', 'nodeport', 'np', '--tcp=443:https', '--node-port=30443');
    expect(nodePort.decoded).toEqual(nodePort.expected);
    expect(nodePort.decoded.spec).toMatchObject({
      type: 'NodePort',
      ports: [{ port: 443, targetPort: 'https', nodePort: 30443 }],
    });
  }, 60_000);

  it('create deployment', async () => {
    const { request, decoded, expected } = await capture(
      'create',
      'deployment',
      'web',
      '--image=nginx',
      '--replicas=2',
      '--port=80',
    );
    expect(request.path).toBe('/apis/apps/v1/namespaces/default/deployments');
    expect(decoded).toEqual(expected);
    expect(decoded).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] },
        },
      },
    });
  }, 60_000);

  it('create deployment with zero replicas keeps replicas: 0', async () => {
    const { decoded, expected } = await capture('create', 'deployment', 'idle', '--image=nginx', '--replicas=0');
    expect(decoded).toEqual(expected);
    expect(decoded.spec).toMatchObject({ replicas: 0 });
  }, 60_000);

  it('create job', async () => {
    const { decoded, expected } = await capture('create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi');
    expect(decoded).toEqual(expected);
    expect(decoded).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      spec: {
        template: {
          spec: { containers: [{ name: 'j', image: 'busybox', command: ['echo', 'hi'] }], restartPolicy: 'Never' },
        },
      },
    });
  }, 60_000);

  it('create cronjob, then a job from it with an owner reference', async () => {
    const cron = await capture('create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date');
    expect(cron.decoded).toEqual(cron.expected);
    expect(cron.decoded.spec).toMatchObject({
      schedule: '*/5 * * * *',
      jobTemplate: {
        metadata: { name: 'cj' },
        spec: {
          template: {
            spec: { containers: [{ name: 'cj', image: 'busybox', command: ['date'] }], restartPolicy: 'OnFailure' },
          },
        },
      },
    });

    const fromCron = await capture('create', 'job', 'manual', '--from=cronjob/cj');
    expect(fromCron.decoded).toEqual(fromCron.expected);
    expect(fromCron.decoded.metadata).toMatchObject({
      name: 'manual',
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', controller: true }],
    });
  }, 60_000);

  it('create ingress', async () => {
    const { decoded, expected } = await capture(
      'create',
      'ingress',
      'ing',
      '--class=nginx',
      '--rule=foo.com/bar=svc:80',
      '--rule=bar.com/*=svc2:http,tls=cert',
    );
    expect(decoded).toEqual(expected);
    expect(decoded.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'foo.com',
          http: {
            paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc', port: { number: 80 } } } }],
          },
        },
        {
          host: 'bar.com',
          http: {
            paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc2', port: { name: 'http' } } } }],
          },
        },
      ],
      tls: [{ hosts: ['bar.com'], secretName: 'cert' }],
    });
  }, 60_000);

  it('create token posts a TokenRequest', async () => {
    recorded = [];
    const out = await kubectl('create', 'token', 'sa1', '--duration=1h', '--audience=api');
    expect(out.trim()).toBe('header.payload.signature');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      path: '/api/v1/namespaces/default/serviceaccounts/sa1/token',
      contentType: KUBERNETES_PROTOBUF,
    });
    expect(decodeKubernetesProtobuf(recorded[0].body)).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { creationTimestamp: null },
      spec: { audiences: ['api'], expirationSeconds: 3600 },
      status: { token: '', expirationTimestamp: null },
    });
  }, 60_000);

  it('autoscale', async () => {
    const { decoded, expected } = await capture(
      'autoscale',
      'deployment',
      'web',
      '--min=1',
      '--max=3',
      '--cpu-percent=70',
    );
    expect(decoded).toEqual(expected);
  }, 60_000);

  it('debug node posts a privileged host pod', async () => {
    recorded = [];
    await kubectl('debug', 'node/n1', '--image=busybox', '--profile=sysadmin');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ path: '/api/v1/namespaces/default/pods', contentType: KUBERNETES_PROTOBUF });
    const pod = decodeKubernetesProtobuf(recorded[0].body);
    expect(pod).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: expect.stringMatching(/^node-debugger-n1-/) as unknown },
      status: {},
    });
    expect(pod.spec).toEqual({
      volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
      containers: [
        {
          name: 'debugger',
          image: 'busybox',
          resources: {},
          volumeMounts: [{ name: 'host-root', mountPath: '/host' }],
          securityContext: { privileged: true },
          terminationMessagePolicy: 'File',
        },
      ],
      restartPolicy: 'Never',
      nodeName: 'n1',
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      tolerations: [{ operator: 'Exists' }],
    });
  }, 60_000);

  it('create poddisruptionbudget with an integer and a percentage', async () => {
    const min = await capture('create', 'poddisruptionbudget', 'pdb1', '--selector=app=a', '--min-available=1');
    expect(min.request.path).toBe('/apis/policy/v1/namespaces/default/poddisruptionbudgets');
    expect(min.decoded).toEqual(min.expected);
    expect(min.decoded.spec).toEqual({ minAvailable: 1, selector: { matchLabels: { app: 'a' } } });
    const max = await capture('create', 'pdb', 'pdb2', '--selector=app=b', '--max-unavailable=25%');
    expect(max.decoded).toEqual(max.expected);
    expect(max.decoded.spec).toEqual({ maxUnavailable: '25%', selector: { matchLabels: { app: 'b' } } });
  }, 60_000);

  it('run and expose send JSON, not protobuf, so they need no decoding', async () => {
    recorded = [];
    await kubectl(
      'run',
      'p',
      '--image=busybox',
      '--env=A=1',
      '--labels=x=y',
      '--restart=Never',
      '--privileged',
      '--',
      'sleep',
      '10',
    );
    await kubectl('expose', 'deployment', 'web', '--port=8000', '--target-port=80', '--name=web-exposed');
    expect(recorded.map((r) => [r.path, r.contentType])).toEqual([
      ['/api/v1/namespaces/default/pods', 'application/json'],
      ['/api/v1/namespaces/default/services', 'application/json'],
    ]);
    expect(JSON.parse(recorded[0].body.toString('utf8'))).toMatchObject({
      kind: 'Pod',
      spec: { containers: [{ env: [{ name: 'A', value: '1' }], securityContext: { privileged: true } }] },
    });
  }, 60_000);
});
