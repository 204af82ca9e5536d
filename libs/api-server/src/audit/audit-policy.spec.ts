import { auditEvent, AuditRecord, formatMicroTime } from './audit-event';
import {
  AuditAttributes,
  AuditPolicyError,
  DEFAULT_AUDIT_POLICY,
  evaluateAuditPolicy,
  parseAuditPolicy,
} from './audit-policy';

const alice = { username: 'alice', groups: ['dev', 'system:authenticated'] };
const get = (resource: string, extra: Partial<NonNullable<AuditAttributes['resource']>> = {}): AuditAttributes => ({
  user: alice,
  verb: 'get',
  path: `/api/v1/namespaces/dev/${resource}/x`,
  resource: { group: '', resource, namespace: 'dev', name: 'x', ...extra },
});

const POLICY = parseAuditPolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: [system:kube-proxy]
  - level: RequestResponse
    userGroups: [auditors]
    omitStages: [ResponseStarted]
  - level: Metadata
    resources:
      - group: ""
        resources: [secrets, configmaps]
  - level: Request
    verbs: [create, update, patch]
    resources:
      - group: apps
        resources: [deployments/scale, "*/status"]
      - group: ""
        resources: [pods/*]
        resourceNames: [web]
    namespaces: [dev]
  - level: None
    nonResourceURLs: [/healthz*, /version]
  - level: Request
    namespaces: [prod]
`);

describe(evaluateAuditPolicy.name, () => {
  it('takes the first rule that matches, with the policy and rule omitStages together', () => {
    expect(evaluateAuditPolicy(POLICY, { ...get('pods'), user: { username: 'x', groups: ['auditors'] } })).toEqual({
      level: 'RequestResponse',
      omitStages: ['RequestReceived', 'ResponseStarted'],
      omitManagedFields: false,
    });
    expect(
      evaluateAuditPolicy(POLICY, { ...get('secrets'), user: { username: 'system:kube-proxy', groups: [] } }).level,
    ).toBe('None');
    expect(evaluateAuditPolicy(POLICY, get('secrets')).level).toBe('Metadata');
  });

  it('matches resources by group, subresource patterns, resourceNames and namespaces', () => {
    const write = (group: string, resource: string, subresource?: string, name = 'web', namespace = 'dev'): string =>
      evaluateAuditPolicy(POLICY, {
        user: alice,
        verb: 'update',
        path: '/x',
        resource: { group, resource, subresource, name, namespace },
      }).level;
    expect(write('apps', 'deployments', 'scale')).toBe('Request');
    expect(write('apps', 'deployments')).toBe('None');
    expect(write('apps', 'statefulsets', 'status')).toBe('Request');
    expect(write('', 'pods', 'log')).toBe('Request');
    expect(write('', 'pods', 'log', 'other')).toBe('None');
    expect(write('apps', 'deployments', 'scale', 'web', 'staging')).toBe('None');
    expect(write('', 'services', undefined, 'a', 'prod')).toBe('Request');
  });

  it('matches non-resource URLs exactly or by a trailing *, never resource requests', () => {
    const at = (path: string): string => evaluateAuditPolicy(POLICY, { user: alice, verb: 'get', path }).level;
    expect(at('/healthz')).toBe('None');
    expect(at('/healthz/ping')).toBe('None');
    expect(at('/version')).toBe('None');
    expect(at('/version/x')).toBe('None'); // no rule matches: None
    const urlsFirst = parseAuditPolicy(
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: RequestResponse, nonResourceURLs: ["*"]}, {level: Metadata}]',
    );
    expect(evaluateAuditPolicy(urlsFirst, { user: alice, verb: 'get', path: '/apis' }).level).toBe('RequestResponse');
    expect(evaluateAuditPolicy(urlsFirst, get('services')).level).toBe('Metadata');
  });

  it('default policy: Metadata, except probes and reads of events and leases', () => {
    const level = (a: AuditAttributes): string => evaluateAuditPolicy(DEFAULT_AUDIT_POLICY, a).level;
    expect(level({ verb: 'get', path: '/readyz' })).toBe('None');
    expect(level({ verb: 'get', path: '/openapi/v2', user: alice })).toBe('Metadata');
    expect(level(get('secrets'))).toBe('Metadata');
    expect(level({ ...get('events'), verb: 'watch' })).toBe('None');
    expect(level({ ...get('events'), verb: 'create' })).toBe('Metadata');
    expect(level({ ...get('leases', { group: 'coordination.k8s.io' }), verb: 'list' })).toBe('None');
    expect(evaluateAuditPolicy(DEFAULT_AUDIT_POLICY, get('pods')).omitStages).toEqual(['RequestReceived']);
  });
});

describe(parseAuditPolicy.name, () => {
  it('refuses invalid policies as kube-apiserver validation does', () => {
    const bad: [string, string][] = [
      ['apiVersion: v1\nkind: Policy\nrules: []', 'expected apiVersion audit.k8s.io/v1'],
      [
        'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Loud}]',
        'rules[0].level: Unsupported value: "Loud"',
      ],
      [
        'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, omitStages: [Later]}]',
        'rules[0].omitStages: Unsupported value: "Later"',
      ],
      [
        'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, namespaces: [a], nonResourceURLs: [/x]}]',
        'rules cannot apply to both regular resources and non-resource URLs',
      ],
      [
        'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, verbs: get}]',
        'rules[0].verbs: must be a list',
      ],
    ];
    for (const [text, message] of bad) {
      expect(() => parseAuditPolicy(text)).toThrow(AuditPolicyError);
      expect(() => parseAuditPolicy(text)).toThrow(message);
    }
  });
});

describe(auditEvent.name, () => {
  const record: AuditRecord = {
    auditID: '5b6bf0a8-2d1e-4c59-9f64-7e0c0e0c2b1a',
    level: 'RequestResponse',
    omitManagedFields: true,
    requestURI: '/api/v1/namespaces/dev/configmaps?fieldManager=kubectl-create',
    verb: 'create',
    user: { username: 'alice', groups: ['dev'] },
    sourceIPs: ['127.0.0.1'],
    userAgent: 'kubectl/v1.32.0',
    objectRef: { resource: 'configmaps', namespace: 'dev', name: 'cm', apiVersion: 'v1' },
    receivedAt: new Date('2026-12-03T21:44:50.123Z'),
    responseStatus: { metadata: {}, code: 201 },
    requestObject: { kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } },
    responseObject: { kind: 'ConfigMap', metadata: { name: 'cm', managedFields: [{ manager: 'kubectl' }] } },
  };
  const at = new Date('2026-12-03T21:44:50.456Z');

  it('writes an audit.k8s.io/v1 Event with MicroTime stamps, fields in upstream order', () => {
    const e = auditEvent(record, 'ResponseComplete', at);
    expect(Object.keys(e)).toEqual([
      'kind',
      'apiVersion',
      'level',
      'auditID',
      'stage',
      'requestURI',
      'verb',
      'user',
      'sourceIPs',
      'userAgent',
      'objectRef',
      'responseStatus',
      'requestObject',
      'responseObject',
      'requestReceivedTimestamp',
      'stageTimestamp',
    ]);
    expect(e).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      stage: 'ResponseComplete',
      responseStatus: { metadata: {}, code: 201 },
      requestReceivedTimestamp: '2026-12-03T21:44:50.123000Z',
      stageTimestamp: '2026-12-03T21:44:50.456000Z',
    });
    expect(e.responseObject).toEqual({ kind: 'ConfigMap', metadata: { name: 'cm' } });
    expect(formatMicroTime(at)).toBe('2026-12-03T21:44:50.456000Z');
  });

  it('carries objects only by level and only once the response is complete', () => {
    expect(auditEvent({ ...record, level: 'Metadata' }, 'ResponseComplete', at)).not.toHaveProperty('requestObject');
    const request = auditEvent({ ...record, level: 'Request' }, 'ResponseComplete', at);
    expect(request.requestObject).toEqual(record.requestObject);
    expect(request).not.toHaveProperty('responseObject');
    const started = auditEvent(record, 'ResponseStarted', at);
    expect(started).not.toHaveProperty('requestObject');
    expect(started.responseStatus).toEqual({ metadata: {}, code: 201 });
    const received = auditEvent(record, 'RequestReceived', at);
    expect(received).not.toHaveProperty('responseStatus');
    expect(received.stageTimestamp).toBe(received.requestReceivedTimestamp);
  });
});
