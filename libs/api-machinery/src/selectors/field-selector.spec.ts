import { KubeObject } from '../meta/object';
import { ApiError } from '../meta/status';
import { SelectableKind } from './selectable-fields';
import { fieldSelectorExactValue, fieldSelectorToString, matchesFields, parseFieldSelector } from './field-selector';

// The namespaced-ness of the kinds used here, as the API serves them.
const CLUSTER_SCOPED = new Set(['Namespace', 'Node']);

function type(group: string, kind: string): SelectableKind {
  return { group, kind, namespaced: !CLUSTER_SCOPED.has(kind) };
}

function rejection(t: SelectableKind, s: string): string {
  try {
    parseFieldSelector(t, s);
  } catch (e) {
    if (e instanceof ApiError && e.code === 400) return e.message;
    throw e;
  }
  throw new Error(`expected ${s} to be rejected`);
}

const POD = type('', 'Pod');
const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: {
    nodeName: 'node-a',
    restartPolicy: 'Always',
    serviceAccountName: 'default',
    schedulerName: 'default-scheduler',
  },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }], podIP: '10.0.0.7' },
};

describe(parseFieldSelector.name, () => {
  it.each([
    ['metadata.name=web-1', true],
    ['metadata.name==web-1', true],
    ['metadata.name!=web-1', false],
    ['metadata.name=web-1,metadata.namespace=default', true],
    ['metadata.namespace=kube-system', false],
    ['spec.nodeName=node-a,status.phase=Running', true],
    ['status.phase!=Running', false],
    ['status.podIP=10.0.0.7', true],
    ['spec.hostNetwork=false', true],
    ['spec.host=node-a', true],
    ['status.nominatedNodeName=', true],
    ['', true],
    ['metadata.name=web-1,', true],
  ])('pods: %j → %s', (selector, expected) => {
    expect(matchesFields(parseFieldSelector(POD, selector), pod)).toBe(expected);
  });

  it('unescapes \\, \\= and \\\\ in values', () => {
    const sel = parseFieldSelector(POD, 'metadata.name=a\\,b\\=c\\\\d');
    expect(sel.requirements[0].value).toBe('a,b=c\\d');
    expect(fieldSelectorToString(sel)).toBe('metadata.name=a\\,b\\=c\\\\d');
    expect(matchesFields(sel, { metadata: { name: 'a,b=c\\d' } })).toBe(true);
  });

  it('reports the value a term pins, for point reads', () => {
    const sel = parseFieldSelector(POD, 'metadata.name=web,status.phase!=Failed');
    expect(fieldSelectorExactValue(sel, 'metadata.name')).toBe('web');
    expect(fieldSelectorExactValue(sel, 'status.phase')).toBeUndefined();
  });

  it.each([
    [POD, 'spec.foo=x', 'field label not supported: spec.foo'],
    [POD, 'metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    [POD, 'metadata.name=a=b', 'invalid field selector: unescaped character in value: 61'],
    [POD, 'metadata.name=a\\x', 'invalid field selector: invalid escape sequence: \\x'],
    [POD, 'metadata.name=a\\', 'invalid field selector: invalid escape sequence: \\'],
    [
      type('apps', 'Deployment'),
      'spec.replicas=1',
      '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ],
    [type('batch', 'Job'), 'status.active=1', 'field label "status.active" not supported for batchv1.Job'],
    [type('', 'Node'), 'metadata.namespace=x', 'field label not supported: metadata.namespace'],
    [type('events.k8s.io', 'Event'), 'involvedObject.name=x', 'field label not supported: involvedObject.name'],
  ])('rejects %#', (t, selector, message) => {
    expect(rejection(t, selector)).toBe(message);
  });

  it('selects core events the way kubectl describe asks', () => {
    const t = type('', 'Event');
    const ev: KubeObject = {
      metadata: { name: 'p1.17a', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p1', namespace: 'default', uid: 'u-1' },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'default-scheduler' },
    };
    const sel = parseFieldSelector(t, 'involvedObject.name=p1,involvedObject.namespace=default,involvedObject.uid=u-1');
    expect(matchesFields(sel, ev)).toBe(true);
    expect(matchesFields(parseFieldSelector(t, 'source=default-scheduler,type=Normal'), ev)).toBe(true);
    expect(matchesFields(parseFieldSelector(t, 'involvedObject.uid=u-2'), ev)).toBe(false);
  });

  it('maps events.k8s.io regarding.* and reportingController', () => {
    const t = type('events.k8s.io', 'Event');
    const ev: KubeObject = {
      metadata: { name: 'e', namespace: 'default' },
      regarding: { kind: 'Deployment', name: 'web' },
      reportingController: 'deployment-controller',
    };
    expect(matchesFields(parseFieldSelector(t, 'regarding.kind=Deployment,regarding.name=web'), ev)).toBe(true);
    expect(matchesFields(parseFieldSelector(t, 'reportingController=deployment-controller'), ev)).toBe(true);
  });

  it('supports per-kind fields for secrets, namespaces, nodes, replicasets and jobs', () => {
    expect(matchesFields(parseFieldSelector(type('', 'Secret'), 'type=Opaque'), { metadata: {}, type: 'Opaque' })).toBe(
      true,
    );
    expect(
      matchesFields(parseFieldSelector(type('', 'Namespace'), 'status.phase=Active'), {
        metadata: {},
        status: { phase: 'Active' },
      }),
    ).toBe(true);
    expect(matchesFields(parseFieldSelector(type('', 'Node'), 'spec.unschedulable=false'), { metadata: {} })).toBe(
      true,
    );
    expect(matchesFields(parseFieldSelector(type('apps', 'ReplicaSet'), 'status.replicas=0'), { metadata: {} })).toBe(
      true,
    );
    expect(
      matchesFields(parseFieldSelector(type('batch', 'Job'), 'status.successful=2'), {
        metadata: {},
        status: { succeeded: 2 },
      }),
    ).toBe(true);
  });
});
