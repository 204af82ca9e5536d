import { startTestCluster, TestCluster } from '@skiff/testing';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import * as path from 'node:path';

// kubectl 1.32 validates on the client, from /openapi/v2 (gnostic protobuf), what server-side
// field validation cannot vouch for: a `kind: List` and kinds the server does not serve.
const NS = 'openapi-v2';
const KUBECTL_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const configMapList = (items: { name: string; data: string }[], extraField = ''): string =>
  [
    'apiVersion: v1',
    'kind: List',
    'items:',
    ...items.map(
      (i) => `- {apiVersion: v1, kind: ConfigMap, metadata: {name: ${i.name}}, data: {k: "${i.data}"}${extraField}}`,
    ),
  ].join('\n') + '\n';

const GADGETS_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.v2.example.com}
spec:
  group: v2.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
                note: {type: string, nullable: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

describe('kubectl: client-side validation from /openapi/v2', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => cluster.kubectl(['-n', NS, ...args]);
  const withStdin = (yaml: string, ...args: string[]) =>
    cluster.kubectl(['-n', NS, ...args, '-f', '-'], { stdin: yaml });

  // GET /openapi/v2 with chosen headers, as kubectl and other clients send them.
  const getV2 = (headers: Record<string, string>): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const { stack } = cluster;
      const req = request(
        new URL('/openapi/v2', stack.server),
        { ca: stack.ca, headers: { authorization: `Bearer ${stack.token}`, ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    cluster = await startTestCluster();
    expect((await cluster.kubectl(['create', 'namespace', NS])).stdout.trim()).toBe(`namespace/${NS} created`);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("serves the gnostic protobuf to kubectl's Accept, JSON to JSON, with one ETag and conditional GETs", async () => {
    const proto = await getV2({ accept: KUBECTL_ACCEPT });
    expect(proto.status).toBe(200);
    // Upstream answers with the '.' spelling: client-go cannot parse a Content-Type holding '@'.
    expect(proto.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(proto.headers['vary']).toBe('Accept');
    expect(proto.headers['etag']).toMatch(/^"[0-9A-F]{128}"$/);
    expect(proto.body.subarray(0, 5).toString('hex')).toBe('0a03322e30'); // Document.swagger (1) = "2.0"

    const json = await getV2({ accept: 'application/json' });
    expect(json.status).toBe(200);
    expect(json.headers['content-type']).toBe('application/json');
    expect(json.headers['etag']).toBe(proto.headers['etag']);
    expect((JSON.parse(json.body.toString('utf8')) as { swagger: string }).swagger).toBe('2.0');

    const again = await getV2({ accept: KUBECTL_ACCEPT, 'if-none-match': String(proto.headers['etag']) });
    expect(again.status).toBe(304);
    expect(again.body).toHaveLength(0);
    expect(again.headers['etag']).toBe(proto.headers['etag']);

    const refused = await getV2({ accept: 'text/html' });
    expect(refused.status).toBe(406);
    expect(refused.body).toHaveLength(0);
  });

  it('applies every item of a List, then reports them unchanged, then configured', async () => {
    const list = configMapList([
      { name: 'a', data: '1' },
      { name: 'b', data: '1' },
    ]);
    const first = await withStdin(list, 'apply');
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('configmap/a created\nconfigmap/b created\n');
    const second = await withStdin(list, 'apply');
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe('configmap/a unchanged\nconfigmap/b unchanged\n');
    const changed = await withStdin(
      configMapList([
        { name: 'a', data: '2' },
        { name: 'b', data: '1' },
      ]),
      'apply',
    );
    expect(changed.stdout).toBe('configmap/a configured\nconfigmap/b unchanged\n');
    expect((await k('get', 'configmap', 'a', '-o', 'jsonpath={.data.k}')).stdout).toBe('2');
  });

  it('creates and replaces the items of a List read from a file', async () => {
    const file = path.join(cluster.stateDir, 'list.yaml');
    writeFileSync(
      file,
      configMapList([
        { name: 'c', data: '1' },
        { name: 'd', data: '1' },
      ]),
    );
    const created = await k('create', '-f', file);
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('configmap/c created\nconfigmap/d created\n');
    writeFileSync(
      file,
      configMapList([
        { name: 'c', data: '2' },
        { name: 'd', data: '2' },
      ]),
    );
    const replaced = await k('replace', '-f', file);
    expect(replaced.stderr).toBe('');
    expect(replaced.stdout).toBe('configmap/c replaced\nconfigmap/d replaced\n');
  });

  it("rejects an unknown field in a List item on the client, in upstream's words", async () => {
    const res = await withStdin(configMapList([{ name: 'e', data: '1' }], ', dataa: {x: "1"}'), 'apply');
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      'error: error validating "STDIN": error validating data: ValidationError(ConfigMap): unknown field "dataa" in io.k8s.api.core.v1.ConfigMap; if you choose to ignore these errors, turn validation off with --validate=false',
    );
    expect(
      (await withStdin(configMapList([{ name: 'e', data: '1' }], ', dataa: {x: "1"}'), 'apply', '--validate=false'))
        .stdout,
    ).toBe('configmap/e created\n');
  });

  it('says an unknown kind has no mapping, as against kube-apiserver', async () => {
    const widget = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n';
    const expected =
      'error: resource mapping not found for name: "x" namespace: "" from "STDIN": no matches for kind "Widget" in version "example.com/v1"\nensure CRDs are installed first';
    for (const verb of ['apply', 'create']) {
      const res = await withStdin(widget, verb);
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(expected);
    }
  });

  it("still leaves a served kind to the server's strict field validation", async () => {
    const typo = `apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  replicaz: 2
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec: {containers: [{name: c, image: busybox}]}
`;
    for (const flags of [[], ['--validate=true'], ['--validate=strict']]) {
      const res = await withStdin(typo, 'apply', ...flags);
      expect(res.stderr.trim()).toBe(
        'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicaz"',
      );
    }
  });

  it('validates custom resources in a List against the CRD schema as published for v2', async () => {
    expect((await withStdin(GADGETS_CRD, 'apply')).stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io/gadgets.v2.example.com created',
    );
    expect((await k('wait', '--for=condition=Established', 'crd/gadgets.v2.example.com', '--timeout=30s')).code).toBe(
      0,
    );
    const gadgets = (spec: string): string =>
      `apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v2.example.com/v1, kind: Gadget, metadata: {name: g1}, spec: ${spec}}\n`;
    // A nullable field may be null and a preserve-unknown-fields object may hold anything.
    const ok = await withStdin(gadgets('{size: 1, note: null, extra: {any: [1, {x: y}]}}'), 'apply');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('gadget.v2.example.com/g1 created\n');
    const bad = await withStdin(gadgets('{size: 1, colour: red}'), 'apply');
    expect(bad.stderr.trim()).toBe(
      'error: error validating "STDIN": error validating data: ValidationError(Gadget.spec): unknown field "colour" in com.example.v2.v1.Gadget.spec; if you choose to ignore these errors, turn validation off with --validate=false',
    );
  });

  it('explains from OpenAPI v3 as before, and from v2 when asked', async () => {
    const v3 = await k('explain', 'deployment.spec.replicas');
    expect(v3.stderr).toBe('');
    expect(v3.stdout).toContain('GROUP:      apps');
    expect(v3.stdout).toContain('FIELD: replicas <integer>');
    const v2 = await k('explain', '--output', 'plaintext-openapiv2', 'deployment.spec.replicas');
    expect(v2.stderr).toBe('');
    expect(v2.stdout).toContain('KIND:     Deployment');
    expect(v2.stdout).toContain('FIELD:    replicas <integer>');
  });
});
