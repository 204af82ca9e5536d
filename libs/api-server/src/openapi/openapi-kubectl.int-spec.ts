import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiVersionOf, BUILT_IN_RESOURCES } from '../resources/resource-types';
import { SchemaRegistry } from '../schema/schema-registry.service';
import { buildOpenApiV3Index, openApiV3Document, servedOpenApiV2 } from './openapi-documents.service';
import { negotiateOpenApiV2, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from './openapi-v2.builder';

// The real kubectl against a loopback server that serves only legacy discovery and OpenAPI.
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const run = promisify(execFile);
const describeIfKubectl = existsSync(KUBECTL) ? describe : describe.skip;

function discovery(path: string): unknown {
  const groups = new Map<string, string>();
  for (const r of BUILT_IN_RESOURCES) if (r.group) groups.set(r.group, r.version);
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (path === '/apis') {
    const list = [...groups].map(([name, version]) => {
      const gv = { groupVersion: `${name}/${version}`, version };
      return { name, versions: [gv], preferredVersion: gv };
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: list };
  }
  const gv = path.replace(/^\/apis?\//, '');
  const resources = BUILT_IN_RESOURCES.filter((r) => apiVersionOf(r) === gv);
  if (!resources.length) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: resources.map((r) => ({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      shortNames: r.shortNames,
      categories: r.categories,
    })),
  };
}

// The encodings /openapi/v2 was asked for, to tell which document kubectl read.
const v2Requests: string[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, body: string | Uint8Array, type = 'application/json'): void => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(body);
  };
  const registry = SchemaRegistry.builtIn();
  if (url.pathname === '/version')
    return send(200, JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0-skiff' }));
  if (url.pathname === '/openapi/v3') return send(200, buildOpenApiV3Index(BUILT_IN_RESOURCES, registry).json);
  if (url.pathname.startsWith('/openapi/v3/')) {
    const doc = openApiV3Document(url.pathname.slice('/openapi/v3/'.length), BUILT_IN_RESOURCES, registry);
    return doc ? send(200, doc.json) : send(404, '{}');
  }
  if (url.pathname === '/openapi/v2') {
    // What the gateway's controller answers, conditional requests aside.
    const format = negotiateOpenApiV2(req.headers.accept);
    if (!format) return send(406, '');
    v2Requests.push(format);
    const served = servedOpenApiV2();
    return format === 'json'
      ? send(200, served.json.json)
      : send(200, served.protobuf(), OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
  }
  const body = discovery(url.pathname);
  return body
    ? send(200, JSON.stringify(body))
    : send(404, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
}

describeIfKubectl('kubectl explain against Skiff OpenAPI v3 and v2', () => {
  let server: Server;
  let cacheDir: string;
  let kubectl: (...args: string[]) => Promise<string>;

  beforeAll(async () => {
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    cacheDir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
    kubectl = async (...args) => {
      const env = { ...process.env, KUBECONFIG: join(cacheDir, 'none'), HOME: cacheDir };
      const { stdout } = await run(
        KUBECTL,
        [...args, '--server', `http://127.0.0.1:${port}`, '--cache-dir', cacheDir],
        { env, timeout: 30_000 },
      );
      return stdout;
    };
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('explains deployment.spec from v3 without reading v2', async () => {
    v2Requests.length = 0;
    const out = await kubectl('explain', 'deployment.spec');
    expect(v2Requests).toEqual([]);
    expect(out).toContain('GROUP:      apps');
    expect(out).toContain('KIND:       Deployment');
    expect(out).toContain('FIELD: spec <DeploymentSpec>');
    expect(out).toMatch(/replicas\s+<integer>/);
    expect(out).toMatch(/template\s+<PodTemplateSpec> -required-/);
  }, 60_000);

  it('explains a kind with its top-level field descriptions', async () => {
    const out = await kubectl('explain', 'deployment');
    expect(out).toContain('Deployment enables declarative updates for Pods and ReplicaSets.');
    expect(out).toMatch(/spec\s+<DeploymentSpec>\n\s+Specification of the desired behavior of the Deployment/);
  }, 60_000);

  it('explains pods.spec.containers recursively', async () => {
    const out = await kubectl('explain', 'pods.spec.containers', '--recursive');
    expect(out).toContain('KIND:       Pod');
    expect(out).toMatch(/env\s+<\[\]EnvVar>/);
    expect(out).toMatch(/restartPolicy\s+<string>/);
  }, 60_000);

  it('explains from the v2 protobuf when asked to', async () => {
    v2Requests.length = 0;
    const out = await kubectl('explain', '--output', 'plaintext-openapiv2', 'deployment.spec.template.spec.containers');
    expect(v2Requests).toEqual(['protobuf']);
    expect(out).toContain('KIND:     Deployment');
    expect(out).toContain('RESOURCE: containers <[]Object>');
    expect(out).toMatch(/imagePullPolicy\t<string>/);
    expect(out).toMatch(/ports\t<\[\]Object>/);
  }, 60_000);
});
