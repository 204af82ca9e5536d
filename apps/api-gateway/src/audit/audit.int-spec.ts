import { AuditEvent } from '@skiff/api-server';
import { apiRequest, eventually, openWatch, startTestCluster, TestCluster } from '@skiff/testing';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version", "/api", "/api/*", "/apis*", "/openapi*"]
  - level: RequestResponse
    resources: [{group: "", resources: [configmaps]}]
  - level: Request
    resources: [{group: "", resources: [secrets]}]
    omitStages: [ResponseStarted]
  - level: None
    resources: [{group: "", resources: [events]}]
  - level: Metadata
`;

// The audit log of a real cluster driven by the real kubectl: one Event per stage the policy keeps, levels per rule.
describe('audit log', () => {
  let cluster: TestCluster;
  let dir: string;
  let logFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-audit-'));
    logFile = path.join(dir, 'log', 'audit.log');
    writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
    cluster = await startTestCluster({
      SKIFF_AUDIT_POLICY_FILE: path.join(dir, 'policy.yaml'),
      SKIFF_AUDIT_LOG_PATH: logFile,
    });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const events = (): AuditEvent[] =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as AuditEvent)
      : [];
  const kubectl = async (...args: string[]): Promise<void> => {
    const r = await cluster.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  };
  const find = async (what: string, match: (e: AuditEvent) => boolean): Promise<AuditEvent> =>
    eventually(async () => events().find(match), 10_000, what);

  it('logs a create, get and delete of a ConfigMap at RequestResponse, with who, what, where and the outcome', async () => {
    await kubectl('create', 'configmap', 'audited', '--from-literal=colour=blue');
    await kubectl('get', 'configmap', 'audited');
    await kubectl('delete', 'configmap', 'audited');
    const onIt = (verb: string) => (e: AuditEvent) => e.verb === verb && e.objectRef?.name === 'audited';
    const create = await find('the create', onIt('create'));
    expect(create).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      stage: 'ResponseComplete',
      user: { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] },
      sourceIPs: ['127.0.0.1'],
      objectRef: { resource: 'configmaps', namespace: 'default', name: 'audited', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: { kind: 'ConfigMap', data: { colour: 'blue' } },
      responseObject: { kind: 'ConfigMap', metadata: { name: 'audited', namespace: 'default' } },
    });
    expect(create.userAgent).toMatch(/^kubectl/);
    expect(create.requestURI).toMatch(/^\/api\/v1\/namespaces\/default\/configmaps/);
    expect(create.auditID).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.stageTimestamp >= create.requestReceivedTimestamp).toBe(true);
    expect(create.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const got = await find('the get', onIt('get'));
    expect(got.responseStatus?.code).toBe(200);
    // What was answered: kubectl asks for a Table.
    expect(got.responseObject).toMatchObject({ kind: 'Table', rows: [{ cells: ['audited', 1, expect.any(String)] }] });
    const deleted = await find('the delete', onIt('delete'));
    expect(deleted.responseStatus?.code).toBe(200);
    // RequestReceived is omitted by the policy; each request is one ResponseComplete event. (kubectl delete then
    // waits for the object to be gone: its GETs answer 404.)
    const own = events().filter((e) => e.objectRef?.name === 'audited' && ['create', 'get', 'delete'].includes(e.verb));
    expect(own.slice(0, 3).map((e) => `${e.verb} ${e.stage}`)).toEqual([
      'create ResponseComplete',
      'get ResponseComplete',
      'delete ResponseComplete',
    ]);
    for (const wait of own.slice(3)) expect(`${wait.verb} ${wait.responseStatus?.code}`).toBe('get 404');
  });

  it('logs a watch at ResponseStarted and ResponseComplete under one auditID, without response bodies', async () => {
    const w = openWatch(cluster.stack, '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1');
    await w.ended;
    const isWatch = (e: AuditEvent): boolean => e.verb === 'watch' && e.requestURI.includes('timeoutSeconds=1');
    await find('the watch completing', (e) => isWatch(e) && e.stage === 'ResponseComplete');
    const stages = events().filter(isWatch);
    expect(stages.map((e) => e.stage)).toEqual(['ResponseStarted', 'ResponseComplete']);
    expect(stages[0].auditID).toBe(stages[1].auditID);
    expect(stages[1]).not.toHaveProperty('responseObject');
    expect(stages[0].responseStatus?.code).toBe(200);
  });

  it('keeps levels per rule: Request for Secrets, Metadata for the rest, None for probes; failures with their Status', async () => {
    await kubectl('create', 'secret', 'generic', 'audited-secret', '--from-literal=k=v');
    const secret = await find(
      'the secret create',
      (e) => e.verb === 'create' && e.objectRef?.name === 'audited-secret',
    );
    expect(secret.level).toBe('Request');
    expect(secret.requestObject).toMatchObject({ kind: 'Secret' });
    expect(secret).not.toHaveProperty('responseObject');

    const res = await apiRequest(cluster.stack, 'GET', '/api/v1/namespaces?limit=1');
    const ns = await find('the namespace list', (e) => e.auditID === res.headers['audit-id']);
    expect(ns).toMatchObject({ level: 'Metadata', verb: 'list', objectRef: { resource: 'namespaces' } });
    expect(ns).not.toHaveProperty('responseObject');

    const missing = await apiRequest(cluster.stack, 'GET', '/api/v1/namespaces/default/pods/nope');
    const notFound = await find('the 404', (e) => e.auditID === missing.headers['audit-id']);
    expect(notFound.responseStatus).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      code: 404,
    });

    const probe = await apiRequest(cluster.stack, 'GET', '/healthz');
    expect(probe.headers['audit-id']).toBeTruthy();
    const unauthenticated = await anonymous('/api/v1/namespaces/default/configmaps');
    const denied = await find('the 401', (e) => e.auditID === unauthenticated);
    expect(denied).toMatchObject({ user: {}, responseStatus: { code: 401 }, level: 'RequestResponse' });
    expect(events().some((e) => e.auditID === probe.headers['audit-id'])).toBe(false);
  });

  // A request with a bad token; resolves with its Audit-Id.
  function anonymous(urlPath: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(urlPath, cluster.stack.server),
        { ca: cluster.stack.ca, headers: { authorization: 'Bearer wrong' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.headers['audit-id'])));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
});
