// Generators of malformed and hostile API requests (issue 15, "Hostile input"): one small fast-check arbitrary per
// category, shared by the fixed-seed e2e test and `npm run bench -- fuzz`.
import fc from 'fast-check';

/** Who sends a request: the cluster admin, the unprivileged fuzz user, or a raw Authorization header (forged tokens). */
export type HostileSender = { as: 'admin' } | { as: 'user' } | { as: 'header'; authorization: string };

export interface HostileRequest {
  category: HostileCategory;
  method: string;
  path: string;
  sender: HostileSender;
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

/** What the generators aim at: the fuzz user's namespace, one it cannot see, and tokens made during set-up. */
export interface HostileTargets {
  /** The namespace the unprivileged user holds a Role in. */
  userNamespace: string;
  /** A namespace (with a Secret and a ConfigMap) the user has no access to. */
  hiddenNamespace: string;
  /** A ServiceAccount token signed with the cluster's real key but expired. */
  expiredToken: string;
  /** A ServiceAccount token with a valid shape and claims, signed by another key. */
  foreignToken: string;
}

export const HOSTILE_CATEGORIES = [
  'broken-body',
  'deep-nesting',
  'huge-metadata',
  'path-traversal',
  'invalid-patch',
  'invalid-selector',
  'bogus-watch',
  'forged-token',
  'impersonation',
  'huge-body',
] as const;
export type HostileCategory = (typeof HOSTILE_CATEGORIES)[number];

/** A resource the generators write to: its collection path below a namespace and a valid object of it. */
interface Target {
  collection: (ns: string) => string;
  object: (name: string, ns: string) => Record<string, unknown>;
}

const core = (resource: string) => (ns: string) => `/api/v1/namespaces/${ns}/${resource}`;
const TARGETS: Target[] = [
  {
    collection: core('configmaps'),
    object: (name, ns) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: ns },
      data: { k: 'v' },
    }),
  },
  {
    collection: core('secrets'),
    object: (name, ns) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns },
      stringData: { k: 'v' },
    }),
  },
  {
    collection: core('pods'),
    object: (name, ns) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    }),
  },
  {
    collection: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
    object: (name, ns) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    }),
  },
];

/** The name of the object of each target that set-up creates in both namespaces (patches aim at it). */
export const HOSTILE_EXISTING = 'fuzz-target';
export function hostileSeedObjects(ns: string): { collection: string; object: Record<string, unknown> }[] {
  return TARGETS.map((t) => ({ collection: t.collection(ns), object: t.object(HOSTILE_EXISTING, ns) }));
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const JSON_CT = { 'content-type': 'application/json' };
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const WRITE_TYPES = [
  'application/json',
  'application/yaml',
  PROTOBUF,
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'text/plain',
];

const senders = fc.constantFrom<HostileSender>({ as: 'admin' }, { as: 'user' });
const target = fc.constantFrom(...TARGETS);

/** A namespace the request is aimed at: mostly the user's, sometimes the hidden one. */
function namespace(t: HostileTargets): fc.Arbitrary<string> {
  return fc.constantFrom(t.userNamespace, t.userNamespace, t.hiddenNamespace);
}

/** A write on a target: create on the collection, update or patch on the existing object. */
function write(
  t: HostileTargets,
): fc.Arbitrary<{ method: string; path: string; target: Target; ns: string; sender: HostileSender }> {
  return fc
    .record({ target, ns: namespace(t), sender: senders, verb: fc.constantFrom('POST', 'PUT', 'PATCH') })
    .map((w) => ({
      ...w,
      method: w.verb,
      path: w.verb === 'POST' ? w.target.collection(w.ns) : `${w.target.collection(w.ns)}/${HOSTILE_EXISTING}`,
    }));
}

/** Garbage JSON, YAML and protobuf bodies. */
function brokenBody(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
    fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
    // Valid JSON cut short, and JSON of the wrong shape.
    fc.nat({ max: 60 }).map((n) => json(TARGETS[0].object('cut', t.userNamespace)).subarray(0, n)),
    fc.jsonValue({ maxDepth: 4 }).map(json),
    fc
      .constantFrom(
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":5}}',
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":"x"}',
        '{"apiVersion":5,"kind":["ConfigMap"]}',
        '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"},"data":{"k":"not base64!"}}',
        '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":{"name":"c"}}}',
        '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","name":"y"}}',
        '\ufeff{"apiVersion":"v1"}',
        '{"a":1e999999}',
        '"\\ud800"',
        // YAML: tabs, bad indentation, alias bombs, tags, several documents.
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n',
        'a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: !!binary AAAA\n',
        '--- !!python/object:os.system\n',
        'apiVersion: v1\nkind: ConfigMap\n---\nkind: Secret\n',
        '? [a, b]\n: c\n',
        'metadata: *undefined\n',
      )
      .map((s) => Buffer.from(s)),
    // Protobuf: the magic with garbage, or garbage alone.
    fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.concat([Buffer.from('k8s\0'), Buffer.from(b)])),
  );
  return fc.record({ w: write(t), body: garbage, type: fc.constantFrom(...WRITE_TYPES) }).map(({ w, body, type }) => ({
    category: 'broken-body',
    method: w.method,
    path: w.path,
    sender: w.sender,
    headers: { 'content-type': type },
    body,
  }));
}

function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Deeply nested JSON and YAML inside otherwise valid objects, and as whole bodies and patches. */
function deepNesting(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      w: write(t),
      depth: fc.constantFrom(100, 1_000, 5_000, 10_000, 20_000),
      kind: fc.constantFrom<'array' | 'object'>('array', 'object'),
      where: fc.constantFrom('data', 'annotations', 'spec', 'body', 'yaml'),
    })
    .map(({ w, depth, kind, where }) => {
      const deep = nested(depth, kind);
      const obj = JSON.stringify(w.target.object('deep', w.ns));
      const body =
        where === 'body'
          ? deep
          : where === 'yaml'
            ? `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${deep}\n`
            : where === 'data'
              ? `${obj.slice(0, -1)},"data":{"k":${deep}}}`
              : where === 'annotations'
                ? obj.replace('"metadata":{', `"metadata":{"annotations":${deep},`)
                : `${obj.slice(0, -1)},"spec":${deep}}`;
      const type =
        where === 'yaml'
          ? 'application/yaml'
          : w.method === 'PATCH'
            ? 'application/merge-patch+json'
            : 'application/json';
      return {
        category: 'deep-nesting' as const,
        method: w.method,
        path: w.path,
        sender: w.sender,
        headers: { 'content-type': type },
        body: Buffer.from(body),
      };
    });
}

const invalidLabelKey = fc.constantFrom(
  '-x',
  'x-',
  'a/b/c',
  '/x',
  'x/',
  'UPPER.example.com/ok',
  `${'a'.repeat(64)}`,
  `${'a'.repeat(254)}/x`,
  'ключ',
  'a b',
  '',
  'x\u0000y',
  '../../etc',
);
const labelValue = fc.oneof(
  fc.integer({ min: 64, max: 300 }).map((n) => 'v'.repeat(n)),
  fc.constantFrom('-x', 'x_', 'a b', 'ü', 'a/b', '\n', 'x\u0000'),
  fc.string({ maxLength: 20 }),
);

/** Label and annotation maps beyond the limits: long or odd label values, invalid keys, over 256 KiB of annotations. */
function hugeMetadata(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  const meta = fc.oneof(
    fc.record({ labels: fc.dictionary(fc.oneof(invalidLabelKey, fc.constant('ok')), labelValue, { maxKeys: 5 }) }),
    fc.record({ labels: fc.dictionary(invalidLabelKey, fc.constant('v'), { minKeys: 1, maxKeys: 3 }) }),
    fc
      .record({ n: fc.integer({ min: 1, max: 8 }), size: fc.integer({ min: 33_000, max: 300_000 }) })
      .map(({ n, size }) => ({
        annotations: Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}.example.com/k`, 'x'.repeat(size)])),
      })),
    fc.record({
      annotations: fc.dictionary(invalidLabelKey, fc.string({ maxLength: 50 }), { minKeys: 1, maxKeys: 3 }),
    }),
    fc.integer({ min: 1_000, max: 5_000 }).map((n) => ({
      labels: Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v'])),
    })),
  );
  return fc.record({ w: write(t), meta }).map(({ w, meta }) => {
    const obj = w.target.object(w.method === 'POST' ? `meta-${Object.keys(meta).length}` : HOSTILE_EXISTING, w.ns);
    const full = { ...obj, metadata: { ...(obj.metadata as object), ...meta } };
    return {
      category: 'huge-metadata' as const,
      method: w.method,
      path: w.path,
      sender: w.sender,
      headers: { 'content-type': w.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
      body: json(w.method === 'PATCH' ? { metadata: meta } : full),
    };
  });
}

const hostileSegment = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2E%2E',
    '..%2f..%2fsecrets',
    '%2e%2e%2f%2e%2e%2fnamespaces%2fHIDDEN%2fsecrets',
    'x%2fy',
    '%00',
    'x%00y',
    '%',
    '%zz',
    '%c0%ae%c0%ae',
    '~',
    '*',
    'ünï',
    '%F0%9F%92%A5',
    '\u2025',
    'x;y',
    'x?y=1',
    'x#y',
    '',
  ),
  fc.integer({ min: 254, max: 5_000 }).map((n) => 'a'.repeat(n)),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);
const subresource = fc.constantFrom(
  '',
  '/status',
  '/scale',
  '/log',
  '/exec',
  '/token',
  '/..',
  '/%2e%2e',
  '/status/..',
  '/x/y/z',
);

/** `..`, encoded slashes, null bytes, long and unicode names and sub-resources, on every verb. */
function pathTraversal(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      target,
      ns: fc.oneof(
        namespace(t),
        hostileSegment.map((s) => s.replace('HIDDEN', t.hiddenNamespace)),
      ),
      name: hostileSegment.map((s) => s.replace('HIDDEN', t.hiddenNamespace)),
      sub: subresource,
      method: fc.constantFrom('GET', 'GET', 'DELETE', 'PUT', 'POST', 'PATCH'),
      sender: senders,
    })
    .map(({ target, ns, name, sub, method, sender }): HostileRequest => {
      const object = target.object(decodeSafely(name), decodeSafely(ns));
      const body =
        method === 'GET' || method === 'DELETE' ? undefined : json(method === 'PATCH' ? { metadata: {} } : object);
      return {
        category: 'path-traversal' as const,
        method,
        path: `${target.collection(ns)}/${name}${sub}`,
        sender,
        headers: body
          ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }
          : {},
        body,
      };
    });
}

function decodeSafely(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** JSON patches on missing paths and bad ops, merge patches of the wrong types, strategic merge with bad directives, apply without fieldManager. */
function invalidPatch(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  const jsonPatch = fc
    .array(
      fc.record({
        op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', ''),
        path: fc.constantFrom(
          '/missing/deep/path',
          '/metadata/namespace',
          '/metadata/name',
          '/data/k',
          'no-slash',
          '',
          '/spec/containers/99',
          '/metadata/labels/a~2b',
          '/~',
        ),
        from: fc.constantFrom('/nowhere', '/data', '/metadata'),
        value: fc.jsonValue({ maxDepth: 2 }),
      }),
      { maxLength: 4 },
    )
    .map((ops) => ({ type: 'application/json-patch+json', body: json(ops) }));
  const mergePatch = fc
    .constantFrom(
      { metadata: { labels: 'x' } },
      { metadata: { name: 5 } },
      { metadata: { namespace: 'elsewhere' } },
      { metadata: { resourceVersion: 'abc' } },
      { metadata: { uid: 'other' } },
      { data: [1, 2] },
      { data: { k: { nested: true } } },
      { spec: { containers: 'c' } },
      { spec: { replicas: -1 } },
      { spec: { replicas: 'many' } },
      { apiVersion: 'v2', kind: 'Other' },
      [],
      'string',
      null,
    )
    .map((p) => ({ type: 'application/merge-patch+json', body: json(p) }));
  const strategic = fc
    .constantFrom(
      { $patch: 'bogus' },
      { metadata: { $patch: 'delete' } },
      { spec: { $retainKeys: 5 } },
      { spec: { template: { spec: { containers: [{ $patch: 'nonsense' }] } } } },
      { spec: { template: { spec: { containers: [{ name: 'c', $patch: 'replace' }] } } } },
      {
        spec: { template: { spec: { $setElementOrder_containers: 'x', '$setElementOrder/containers': [{ bad: 1 }] } } },
      },
      { spec: { '$deleteFromPrimitiveList/finalizers': 'x' } },
      { metadata: { '$deleteFromPrimitiveList/finalizers': [5] } },
      { spec: { containers: [{ name: { x: 1 } }] } },
      { data: { $patch: 'replace', k: 1 } },
    )
    .map((p) => ({ type: 'application/strategic-merge-patch+json', body: json(p) }));
  const apply = fc
    .record({
      yaml: fc.constantFrom(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fuzz-target\n',
        'not: [valid',
        '{}',
        '- a\n- b\n',
        'kind: ConfigMap\n',
      ),
      query: fc.constantFrom(
        '',
        '?fieldManager=',
        '?force=maybe',
        `?fieldManager=${'m'.repeat(200)}`,
        '?fieldManager=a&force=true&dryRun=Bogus',
      ),
    })
    .map(({ yaml, query }) => ({ type: 'application/apply-patch+yaml', body: Buffer.from(yaml), query }));
  return fc
    .record({ target, ns: namespace(t), sender: senders, patch: fc.oneof(jsonPatch, mergePatch, strategic, apply) })
    .map(({ target, ns, sender, patch }) => ({
      category: 'invalid-patch' as const,
      method: 'PATCH',
      path: `${target.collection(ns)}/${HOSTILE_EXISTING}${'query' in patch ? patch.query : ''}`,
      sender,
      headers: { 'content-type': patch.type },
      body: patch.body,
    }));
}

const selectorText = fc.oneof(
  fc.constantFrom(
    'a in (b',
    'a notin b',
    '!',
    '!!a',
    'a==b==c',
    'a=(b)',
    ',,,',
    'a,',
    'x in ()',
    `${'a'.repeat(1000)}=b`,
    'a=b,'.repeat(2000),
    'metadata.name=x,metadata.namespace!=',
    'spec.nodeName==',
    'status.phase=Running=x',
    'bogus.field=1',
    '\\',
    'a=\\x',
    '%ff',
  ),
  fc.string({ maxLength: 40 }),
);

/** Unparseable label and field selectors on lists and watches. */
function invalidSelector(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      target,
      ns: namespace(t),
      sender: senders,
      param: fc.constantFrom('labelSelector', 'fieldSelector'),
      value: selectorText,
      cluster: fc.boolean(),
    })
    .map(({ target, ns, sender, param, value, cluster }) => {
      const collection = target.collection(ns);
      const path = cluster ? collection.replace(`/namespaces/${ns}`, '') : collection;
      return {
        category: 'invalid-selector' as const,
        method: 'GET',
        path: `${path}?${param}=${encodeURIComponent(value)}`,
        sender,
        headers: {},
      };
    });
}

/** Watches with parameters that make no sense. */
function bogusWatch(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  const param = fc.constantFrom(
    'resourceVersion=abc',
    'resourceVersion=-1',
    'resourceVersion=99999999999999999999999',
    'timeoutSeconds=-1',
    'timeoutSeconds=abc',
    'timeoutSeconds=99999999999999999999',
    'allowWatchBookmarks=maybe',
    'sendInitialEvents=true',
    'sendInitialEvents=yes',
    'sendInitialEvents=true&resourceVersionMatch=Exact',
    'resourceVersionMatch=Bogus',
    'resourceVersionMatch=NotOlderThan',
    'limit=-5',
    'limit=abc',
    'continue=garbage',
    'continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTF9',
    'watch=maybe',
    'timeoutSeconds=1',
  );
  return fc
    .record({
      target,
      ns: namespace(t),
      sender: senders,
      params: fc.array(param, { minLength: 1, maxLength: 3 }),
      single: fc.boolean(),
    })
    .map(({ target, ns, sender, params, single }) => ({
      category: 'bogus-watch' as const,
      method: 'GET',
      path: `${target.collection(ns)}${single ? `/${HOSTILE_EXISTING}` : ''}?watch=true&${params.join('&')}`,
      sender,
      headers: {},
    }));
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Random strings, unsigned (`alg: none`) and wrongly signed JWTs, an expired real token, odd schemes. */
function forgedToken(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  const claims = {
    iss: 'https://kubernetes.default.svc',
    sub: 'system:serviceaccount:kube-system:default',
    aud: ['https://kubernetes.default.svc'],
    exp: 4_102_444_800,
  };
  const authorization = fc.oneof(
    fc.string({ maxLength: 100 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
    fc.constantFrom(
      `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      `Bearer ${b64({ alg: 'none' })}.${b64({ ...claims, sub: 'system:admin' })}.`,
      `Bearer ${b64({ alg: 'HS256' })}.${b64(claims)}.${Buffer.from('sig').toString('base64url')}`,
      `Bearer ${t.foreignToken}`,
      `Bearer ${t.expiredToken}`,
      `Bearer ${t.expiredToken.slice(0, -4)}AAAA`,
      `Bearer ${t.expiredToken.split('.').slice(0, 2).join('.')}`,
      'Bearer',
      'Bearer ',
      'Basic YWRtaW46YWRtaW4=',
      'Negotiate xyz',
      'bearer a.b.c',
      `Bearer ${'x'.repeat(8000)}`,
      'Bearer a.b.c.d.e',
      'Bearer ...',
    ),
  );
  return fc
    .record({
      authorization,
      path: fc.constantFrom(
        '/api/v1/namespaces',
        '/api/v1/secrets',
        `/api/v1/namespaces/${t.userNamespace}/configmaps`,
        '/apis',
        '/version',
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      ),
    })
    .map(({ authorization, path }) => ({
      category: 'forged-token' as const,
      method: path.endsWith('selfsubjectreviews') ? 'POST' : 'GET',
      path,
      sender: { as: 'header' as const, authorization },
      headers: path.endsWith('selfsubjectreviews') ? JSON_CT : {},
      body: path.endsWith('selfsubjectreviews')
        ? json({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
        : undefined,
    }));
}

/** The unprivileged user asking to be someone else: the admin, system:masters, a ServiceAccount, with odd extras. */
function impersonation(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  const headers = fc.oneof(
    fc.constantFrom<Record<string, string | string[]>>(
      { 'impersonate-user': 'skiff-admin' },
      { 'impersonate-user': 'system:admin', 'impersonate-group': 'system:masters' },
      { 'impersonate-user': 'alice', 'impersonate-group': ['system:masters', 'system:authenticated'] },
      { 'impersonate-user': 'system:serviceaccount:kube-system:default' },
      { 'impersonate-user': 'system:serviceaccount:::' },
      { 'impersonate-user': '' },
      { 'impersonate-group': 'system:masters' },
      { 'impersonate-uid': '0' },
      { 'impersonate-user': 'x', 'impersonate-uid': '0' },
      { 'impersonate-user': 'x', 'impersonate-extra-%zz': 'v' },
      { 'impersonate-user': 'x', 'impersonate-extra-scopes': ['a', 'b'] },
      { 'impersonate-user': 'x', 'impersonate-extra-': 'v' },
      { 'impersonate-user': 'system:anonymous' },
    ),
    fc.string({ maxLength: 30 }).map((u) => ({ 'impersonate-user': u.replace(/[^\x20-\x7e]/g, '') })),
  );
  return fc
    .record({
      headers,
      path: fc.constantFrom(
        `/api/v1/namespaces/${t.hiddenNamespace}/secrets`,
        `/api/v1/namespaces/${t.userNamespace}/secrets`,
        '/api/v1/secrets',
        '/api/v1/namespaces',
        `/api/v1/namespaces/${t.userNamespace}/configmaps`,
      ),
    })
    .map(({ headers, path }) => ({
      category: 'impersonation' as const,
      method: 'GET',
      path,
      sender: { as: 'user' as const },
      headers,
    }));
}

/** Bodies over the server's 3 MiB limit. */
function hugeBody(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  return fc
    .record({ w: write(t), size: fc.integer({ min: 3 * 1024 * 1024 + 1, max: 4 * 1024 * 1024 }) })
    .map(({ w, size }) => {
      const head = Buffer.from('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"huge"},"data":{"k":"');
      const tail = Buffer.from('"}}');
      return {
        category: 'huge-body' as const,
        method: w.method,
        path: w.path,
        sender: w.sender,
        headers: { 'content-type': w.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
        body: Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, 0x78), tail]),
      };
    });
}

/** Every category, weighted so each gets its share; huge bodies are rarer (each one is 3–4 MiB). */
export function hostileRequests(t: HostileTargets): fc.Arbitrary<HostileRequest> {
  return fc.oneof(
    { arbitrary: brokenBody(t), weight: 12 },
    { arbitrary: deepNesting(t), weight: 6 },
    { arbitrary: hugeMetadata(t), weight: 8 },
    { arbitrary: pathTraversal(t), weight: 12 },
    { arbitrary: invalidPatch(t), weight: 12 },
    { arbitrary: invalidSelector(t), weight: 8 },
    { arbitrary: bogusWatch(t), weight: 8 },
    { arbitrary: forgedToken(t), weight: 8 },
    { arbitrary: impersonation(t), weight: 8 },
    { arbitrary: hugeBody(t), weight: 1 },
  );
}

/** `count` requests drawn from `seed`: the same seed gives the same requests, in the same order. */
export function sampleHostileRequests(t: HostileTargets, seed: number, count: number): HostileRequest[] {
  return fc.sample(hostileRequests(t), { seed, numRuns: count });
}
