import { ApiError } from '@skiff/api-machinery';
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF } from './kubernetes-protobuf.decoder';
import { bytes, duration, f64, i32, list, mapOf, MessageDef, rawExtension, str } from './message-def';
import { decodeMessage, formatGoDuration } from './message.decoder';

// A small proto2 encoder: each helper returns one encoded field (tag + value).
function varintBytes(v: bigint): number[] {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const b = Number(u & 0x7fn);
    u >>= 7n;
    out.push(u ? b | 0x80 : b);
  } while (u);
  return out;
}
const tag = (n: number, wire: number): number[] => varintBytes(BigInt((n << 3) | wire));
const pb = {
  int: (n: number, v: number | bigint): Buffer => Buffer.from([...tag(n, 0), ...varintBytes(BigInt(v))]),
  bool: (n: number, v: boolean): Buffer => pb.int(n, v ? 1 : 0),
  bytes: (n: number, b: Uint8Array): Buffer =>
    Buffer.concat([Buffer.from([...tag(n, 2), ...varintBytes(BigInt(b.length))]), b]),
  str: (n: number, s: string): Buffer => pb.bytes(n, Buffer.from(s, 'utf8')),
  msg: (n: number, ...fields: Buffer[]): Buffer => pb.bytes(n, Buffer.concat(fields)),
  entry: (n: number, key: string, value: Buffer): Buffer => pb.msg(n, pb.str(1, key), value),
  packed: (n: number, values: number[]): Buffer =>
    pb.bytes(n, Buffer.from(values.flatMap((v) => varintBytes(BigInt(v))))),
  fixed64: (n: number, v: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return Buffer.concat([Buffer.from(tag(n, 1)), b]);
  },
};
const intOrStringInt = (n: number, v: number): Buffer => pb.msg(n, pb.int(1, 0), pb.int(2, v), pb.str(3, ''));
const intOrStringStr = (n: number, s: string): Buffer => pb.msg(n, pb.int(1, 1), pb.int(2, 0), pb.str(3, s));

function envelope(apiVersion: string, kind: string, ...fields: Buffer[]): Buffer {
  const unknown = Buffer.concat([
    pb.msg(1, pb.str(1, apiVersion), pb.str(2, kind)),
    pb.msg(2, ...fields),
    pb.str(3, ''),
    pb.str(4, ''),
  ]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}

// ObjectMeta as Go's gogo marshaller writes it: every non-pointer field, zero or not.
function objectMeta(name: string, ...extra: Buffer[]): Buffer {
  return pb.msg(
    1,
    pb.str(1, name),
    pb.str(2, ''),
    pb.str(3, ''),
    pb.str(4, ''),
    pb.str(5, ''),
    pb.str(6, ''),
    pb.int(7, 0),
    pb.msg(8),
    ...extra,
  );
}

function badRequest(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('decodeKubernetesProtobuf', () => {
  it('exports the media type', () => {
    expect(KUBERNETES_PROTOBUF).toBe('application/vnd.kubernetes.protobuf');
  });

  it('decodes a Namespace with zero fields dropped and a zero creationTimestamp as null', () => {
    const body = envelope('v1', 'Namespace', objectMeta('demo'), pb.msg(2), pb.msg(3, pb.str(1, '')));
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo', creationTimestamp: null },
      spec: {},
      status: {},
    });
  });

  it('decodes ObjectMeta labels, annotations, owner references, timestamps and managedFields', () => {
    const meta = objectMeta(
      'web',
      pb.msg(9, pb.int(1, 1767323045)),
      pb.int(10, 0),
      pb.entry(11, 'app', pb.str(2, 'web')),
      pb.entry(11, 'tier', pb.str(2, '')),
      pb.entry(12, 'note', pb.str(2, 'x')),
      pb.msg(13, pb.str(1, 'ReplicaSet'), pb.str(3, 'web-1'), pb.str(4, 'u-1'), pb.str(5, 'apps/v1'), pb.bool(6, true)),
      pb.str(14, 'a/b'),
      pb.str(14, 'c/d'),
      pb.msg(
        17,
        pb.str(1, 'kubectl'),
        pb.str(2, 'Update'),
        pb.str(3, 'v1'),
        pb.msg(4, pb.int(1, 0)),
        pb.str(6, 'FieldsV1'),
        pb.msg(7, pb.str(1, '{"f:data":{}}')),
      ),
    );
    const out = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', meta));
    expect(out.metadata).toEqual({
      name: 'web',
      creationTimestamp: null,
      deletionTimestamp: '2026-01-02T03:04:05Z',
      deletionGracePeriodSeconds: 0,
      labels: { app: 'web', tier: '' },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u-1', controller: true }],
      finalizers: ['a/b', 'c/d'],
      managedFields: [
        {
          manager: 'kubectl',
          operation: 'Update',
          apiVersion: 'v1',
          time: '1970-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': {} },
        },
      ],
    });
  });

  it('decodes ConfigMap data and binaryData, and Secret bytes as base64', () => {
    const cm = decodeKubernetesProtobuf(
      envelope(
        'v1',
        'ConfigMap',
        objectMeta('c'),
        pb.entry(2, 'a', pb.str(2, 'b')),
        pb.entry(3, 'bin', pb.bytes(2, Buffer.from([0, 1, 2]))),
        pb.bool(4, false),
      ),
    );
    expect(cm).toMatchObject({ data: { a: 'b' }, binaryData: { bin: 'AAEC' }, immutable: false });
    const secret = decodeKubernetesProtobuf(
      envelope(
        'v1',
        'Secret',
        objectMeta('s'),
        pb.entry(2, 'p', pb.bytes(2, Buffer.from('q'))),
        pb.entry(2, 'empty', Buffer.alloc(0)),
        pb.str(3, 'Opaque'),
      ),
    );
    expect(secret).toMatchObject({ data: { p: 'cQ==', empty: '' }, type: 'Opaque' });
  });

  it('decodes Service ports with int and string targetPorts', () => {
    const port = (name: string, target: Buffer): Buffer =>
      pb.msg(1, pb.str(1, name), pb.str(2, 'TCP'), pb.int(3, 80), target, pb.int(5, 0));
    const spec = pb.msg(
      2,
      port('http', intOrStringInt(4, 8080)),
      port('named', intOrStringStr(4, 'web')),
      pb.entry(2, 'app', pb.str(2, 'web')),
      pb.str(3, ''),
      pb.str(4, 'ClusterIP'),
    );
    const out = decodeKubernetesProtobuf(envelope('v1', 'Service', objectMeta('web'), spec, pb.msg(3, pb.msg(1))));
    expect(out.spec).toEqual({
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'named', protocol: 'TCP', port: 80, targetPort: 'web' },
      ],
      selector: { app: 'web' },
      type: 'ClusterIP',
    });
    expect(out.status).toEqual({ loadBalancer: {} });
  });

  it('decodes a Pod spec: containers, env sources, probes, resources, security contexts and volumes', () => {
    const container = pb.msg(
      2,
      pb.str(1, 'app'),
      pb.str(2, 'busybox'),
      pb.str(3, 'sleep'),
      pb.str(4, '10'),
      pb.msg(6, pb.str(1, ''), pb.int(2, 0), pb.int(3, 80), pb.str(4, 'TCP')),
      pb.msg(7, pb.str(1, 'A'), pb.str(2, '1')),
      pb.msg(
        7,
        pb.str(1, 'B'),
        pb.str(2, ''),
        pb.msg(3, pb.msg(3, pb.msg(1, pb.str(1, 'cm')), pb.str(2, 'k'), pb.bool(3, true))),
      ),
      pb.msg(7, pb.str(1, 'C'), pb.msg(3, pb.msg(1, pb.str(1, 'v1'), pb.str(2, 'metadata.name')))),
      pb.msg(19, pb.str(1, 'P_'), pb.msg(3, pb.msg(1, pb.str(1, 'sec')))),
      pb.msg(8, pb.entry(1, 'cpu', pb.msg(2, pb.str(1, '500m'))), pb.entry(2, 'memory', pb.msg(2, pb.str(1, '64Mi')))),
      pb.msg(9, pb.str(1, 'data'), pb.bool(2, true), pb.str(3, '/data'), pb.str(4, '')),
      pb.msg(
        10,
        pb.msg(1, pb.msg(2, pb.str(1, '/healthz'), intOrStringInt(2, 8080), pb.str(4, 'HTTP'))),
        pb.int(2, 5),
        pb.int(3, 1),
      ),
      pb.msg(11, pb.msg(1, pb.msg(1, pb.str(1, 'cat'), pb.str(1, '/ready')))),
      pb.msg(12, pb.msg(2, pb.msg(4, pb.int(1, 3)))),
      pb.msg(15, pb.msg(1, pb.str(1, 'NET_ADMIN')), pb.bool(2, true), pb.int(4, 0), pb.bool(7, false)),
      pb.bool(16, true),
      pb.bool(18, false),
    );
    const volumes = [
      pb.msg(1, pb.str(1, 'data'), pb.msg(2, pb.msg(2, pb.str(1, 'Memory'), pb.msg(2, pb.str(1, '1Gi'))))),
      pb.msg(
        1,
        pb.str(1, 'cfg'),
        pb.msg(2, pb.msg(19, pb.msg(1, pb.str(1, 'cm')), pb.msg(2, pb.str(1, 'k'), pb.str(2, 'p')), pb.int(3, 420))),
      ),
      pb.msg(
        1,
        pb.str(1, 'tok'),
        pb.msg(2, pb.msg(26, pb.msg(1, pb.msg(4, pb.str(1, ''), pb.int(2, 3600), pb.str(3, 'token'))))),
      ),
    ];
    const spec = pb.msg(
      2,
      ...volumes,
      container,
      pb.str(3, 'Never'),
      pb.int(4, 30),
      pb.str(6, 'ClusterFirst'),
      pb.entry(7, 'disk', pb.str(2, 'ssd')),
      pb.bool(11, false),
      pb.msg(14, pb.int(2, 1000), pb.packed(4, [1, 2]), pb.int(4, 3)),
      pb.msg(18, pb.msg(1, pb.msg(1, pb.msg(1, pb.msg(1, pb.str(1, 'zone'), pb.str(2, 'In'), pb.str(3, 'a')))))),
      pb.msg(22, pb.str(1, 'k'), pb.str(2, 'Exists'), pb.str(4, 'NoSchedule'), pb.int(5, 60)),
      pb.int(25, 0),
      pb.bool(30, false),
      pb.entry(32, 'cpu', pb.msg(2, pb.str(1, '100m'))),
    );
    const pod = decodeKubernetesProtobuf(envelope('v1', 'Pod', objectMeta('p'), spec, pb.msg(3)));
    expect(pod.spec).toEqual({
      volumes: [
        { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
        { name: 'cfg', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }], defaultMode: 420 } },
        { name: 'tok', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3600, path: 'token' } }] } },
      ],
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sleep'],
          args: ['10'],
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: [
            { name: 'A', value: '1' },
            { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: true } } },
            { name: 'C', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          ],
          envFrom: [{ prefix: 'P_', secretRef: { name: 'sec' } }],
          resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
          volumeMounts: [{ name: 'data', readOnly: true, mountPath: '/data' }],
          livenessProbe: {
            httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
            initialDelaySeconds: 5,
            timeoutSeconds: 1,
          },
          readinessProbe: { exec: { command: ['cat', '/ready'] } },
          lifecycle: { preStop: { sleep: { seconds: 3 } } },
          securityContext: {
            capabilities: { add: ['NET_ADMIN'] },
            privileged: true,
            runAsUser: 0,
            allowPrivilegeEscalation: false,
          },
          stdin: true,
        },
      ],
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      nodeSelector: { disk: 'ssd' },
      securityContext: { runAsUser: 1000, supplementalGroups: [1, 2, 3] },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
          },
        },
      },
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 60 }],
      priority: 0,
      enableServiceLinks: false,
      overhead: { cpu: '100m' },
    });
  });

  it('skips fields it has no table entry for, whatever their wire type', () => {
    const unknownFields = Buffer.concat([
      pb.int(99, 7),
      pb.fixed64(98, 1.5),
      pb.str(97, 'x'),
      Buffer.from([...tag(96, 5), 1, 2, 3, 4]),
    ]);
    const out = decodeKubernetesProtobuf(
      envelope('v1', 'Namespace', objectMeta('n', unknownFields), unknownFields, pb.msg(2, pb.str(1, 'kubernetes'))),
    );
    expect(out).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'n', creationTimestamp: null },
      spec: { finalizers: ['kubernetes'] },
    });
  });

  it('decodes DeleteOptions under any group version', () => {
    const out = decodeKubernetesProtobuf(
      envelope(
        'apps/v1',
        'DeleteOptions',
        pb.int(1, 0),
        pb.msg(2, pb.str(1, 'u-1')),
        pb.str(4, 'Foreground'),
        pb.str(5, 'All'),
      ),
    );
    expect(out).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: 'u-1' },
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
  });

  it('rejects a body without the k8s magic prefix', () => {
    expect(badRequest(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Namespace"}'))).message).toMatch(
      /does not appear to be a protobuf message/,
    );
    expect(badRequest(() => decodeKubernetesProtobuf(Buffer.alloc(0))).message).toMatch(/empty/);
  });

  it('rejects truncated data', () => {
    const body = envelope('v1', 'Namespace', objectMeta('demo'));
    expect(badRequest(() => decodeKubernetesProtobuf(body.subarray(0, body.length - 3))).message).toMatch(
      /^unable to decode protobuf body: /,
    );
  });

  it('rejects a field sent with the wrong wire type', () => {
    const body = envelope('v1', 'Namespace', pb.msg(1, pb.int(1, 5)));
    expect(badRequest(() => decodeKubernetesProtobuf(body)).message).toMatch(
      /metadata\.name: wire type 0 where 2 was expected/,
    );
  });

  it('rejects a kind it has no table for, and an envelope without a kind', () => {
    expect(badRequest(() => decodeKubernetesProtobuf(envelope('v1', 'Widget', objectMeta('w')))).message).toBe(
      'no kind "Widget" is registered for version "v1" in scheme "skiff protobuf decoder"',
    );
    expect(badRequest(() => decodeKubernetesProtobuf(envelope('v1', '', objectMeta('w')))).message).toMatch(
      /Kind' is missing/,
    );
  });
});

describe('decodeKubernetesProtobuf for workload and cluster kinds', () => {
  it('decodes a Lease with MicroTime timestamps', () => {
    const spec = pb.msg(
      2,
      pb.str(1, 'node-a'),
      pb.int(2, 40),
      pb.msg(3, pb.int(1, 1767323045), pb.int(2, 123456789)),
      pb.msg(4, pb.int(1, 1767323045)),
      pb.int(5, 0),
    );
    const out = decodeKubernetesProtobuf(envelope('coordination.k8s.io/v1', 'Lease', objectMeta('l'), spec));
    expect(out.spec).toEqual({
      holderIdentity: 'node-a',
      leaseDurationSeconds: 40,
      acquireTime: '2026-01-02T03:04:05.123456Z',
      renewTime: '2026-01-02T03:04:05.000000Z',
      leaseTransitions: 0,
    });
  });

  it('decodes a StatefulSet with a volume claim template and a rolling update strategy', () => {
    const pvc = pb.msg(
      4,
      objectMeta('data'),
      pb.msg(
        2,
        pb.str(1, 'ReadWriteOnce'),
        pb.msg(2, pb.entry(2, 'storage', pb.msg(2, pb.str(1, '1Gi')))),
        pb.str(5, 'fast'),
      ),
      pb.msg(3),
    );
    const spec = pb.msg(
      2,
      pb.int(1, 3),
      pb.msg(2, pb.entry(1, 'app', pb.str(2, 'db'))),
      pb.msg(3, objectMeta('')),
      pvc,
      pb.str(5, 'db'),
      pb.msg(7, pb.str(1, 'RollingUpdate'), pb.msg(2, pb.int(1, 0), intOrStringStr(2, '25%'))),
    );
    const out = decodeKubernetesProtobuf(envelope('apps/v1', 'StatefulSet', objectMeta('db'), spec));
    expect(out.spec).toEqual({
      replicas: 3,
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { creationTimestamp: null } },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', creationTimestamp: null },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '1Gi' } },
            storageClassName: 'fast',
          },
          status: {},
        },
      ],
      serviceName: 'db',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: '25%' } },
    });
  });

  it('decodes autoscaling/v1 Scale', () => {
    const out = decodeKubernetesProtobuf(
      envelope(
        'autoscaling/v1',
        'Scale',
        objectMeta('web'),
        pb.msg(2, pb.int(1, 0)),
        pb.msg(3, pb.int(1, 0), pb.str(2, '')),
      ),
    );
    expect(out).toMatchObject({ spec: {}, status: { replicas: 0 } });
  });
});

describe(decodeMessage.name, () => {
  const def: MessageDef = {
    1: ['timeout', duration],
    2: ['object', rawExtension],
    3: ['ratio', f64],
    4: ['counts', list(i32)],
    5: ['blobs', mapOf(bytes)],
    6: ['chunks', list(bytes)],
    7: ['names', list(str)],
  };

  it('decodes durations, raw extensions, doubles, packed and unpacked repeated scalars and bytes', () => {
    const data = Buffer.concat([
      pb.msg(1, pb.int(1, 90_000_000_000)),
      pb.msg(2, pb.str(1, '{"kind":"Pod"}')),
      pb.fixed64(3, 0.5),
      pb.packed(4, [1, -2]),
      pb.int(4, 3),
      pb.msg(5, pb.str(1, 'empty')),
      pb.bytes(6, Buffer.from('hi')),
      pb.str(7, ''),
    ]);
    expect(decodeMessage(data, def)).toEqual({
      timeout: '1m30s',
      object: { kind: 'Pod' },
      ratio: 0.5,
      counts: [1, -2, 3],
      blobs: { empty: '' },
      chunks: ['aGk='],
      names: [''],
    });
  });
});

describe('formatGoDuration', () => {
  it.each([
    [0n, '0s'],
    [999n, '999ns'],
    [1_500n, '1.5µs'],
    [2_000_000n, '2ms'],
    [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [-5_000_000_000n, '-5s'],
  ])('formats %p ns as %p', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });
});
