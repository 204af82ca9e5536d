import { KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES, ResourceType } from '../resources/resource-types';
import { printerFor } from './printer-registry';
import { defaultTable, toTable } from './table';

const now = new Date('2025-06-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();

function type(group: string, kind: string): ResourceType {
  const t = BUILT_IN_RESOURCES.find((r) => r.group === group && r.kind === kind);
  if (!t) throw new Error(`no ${group}/${kind}`);
  return t;
}

function obj(
  kind: string,
  name: string,
  rest: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
): KubeObject {
  return { kind, metadata: { name, namespace: 'default', creationTimestamp: ago(3600), ...meta }, ...rest };
}

// What kubectl prints: header names (upper-cased by kubectl) and each cell.
function render(t: ResourceType, o: KubeObject): Record<string, unknown> {
  const table = toTable(t, [o], { now });
  return Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name.toUpperCase(), table.rows[0].cells[i]]));
}

describe(toTable.name, () => {
  it('has a printer for every built-in kind', () => {
    const missing = BUILT_IN_RESOURCES.filter((t) => t.verbs.includes('list') && !printerFor(t)).map(
      (t) => `${t.group}/${t.kind}`,
    );
    expect(missing).toEqual([]);
  });

  it('returns a meta.k8s.io/v1 Table with PartialObjectMetadata rows by default', () => {
    const ns = obj(
      'Namespace',
      'team-a',
      { status: { phase: 'Active' } },
      { labels: { env: 'prod' }, namespace: undefined },
    );
    const table = toTable(type('', 'Namespace'), [ns], { now, listMeta: { resourceVersion: '42', continue: '' } });
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '42' } });
    expect(table.metadata).not.toHaveProperty('continue');
    expect(table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([
      ['Name', 'string', 'name', 0],
      ['Status', 'string', '', 0],
      ['Age', 'string', '', 0],
    ]);
    expect(table.rows[0]).toEqual({
      cells: ['team-a', 'Active', '60m'],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: ns.metadata },
    });
  });

  it('honours includeObject and noHeaders', () => {
    const cm = obj('ConfigMap', 'c', { data: { a: '1' } });
    expect(toTable(type('', 'ConfigMap'), [cm], { now, includeObject: 'None' }).rows[0]).toEqual({
      cells: ['c', 1, '60m'],
    });
    expect(toTable(type('', 'ConfigMap'), [cm], { now, includeObject: 'Object' }).rows[0].object).toBe(cm);
    expect(toTable(type('', 'ConfigMap'), [cm], { now, noHeaders: true }).columnDefinitions).toEqual([]);
  });

  it('falls back to NAME + AGE for unknown kinds', () => {
    const t = defaultTable([obj('Widget', 'w1')], { now });
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Age']);
    expect(t.rows[0].cells).toEqual(['w1', '60m']);
    expect(toTable({ group: 'example.com', kind: 'Widget' }, [obj('Widget', 'w1')], { now }).rows[0].cells).toEqual([
      'w1',
      '60m',
    ]);
  });

  it('prints secrets, configmaps and service accounts', () => {
    expect(render(type('', 'Secret'), obj('Secret', 's', { type: 'Opaque', data: { a: 'eA==', b: 'eQ==' } }))).toEqual({
      NAME: 's',
      TYPE: 'Opaque',
      DATA: 2,
      AGE: '60m',
    });
    expect(
      render(type('', 'ConfigMap'), obj('ConfigMap', 'c', { data: { a: '1' }, binaryData: { b: 'AA==' } })).DATA,
    ).toBe(2);
    expect(render(type('', 'ServiceAccount'), obj('ServiceAccount', 'default'))).toEqual({
      NAME: 'default',
      SECRETS: 0,
      AGE: '60m',
    });
  });

  it('prints services like kubectl', () => {
    const svc = obj('Service', 'web', {
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { port: 80, nodePort: 30080, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
        selector: { app: 'web' },
      },
    });
    expect(render(type('', 'Service'), svc)).toEqual({
      NAME: 'web',
      TYPE: 'NodePort',
      'CLUSTER-IP': '10.96.0.10',
      'EXTERNAL-IP': '<none>',
      'PORT(S)': '80:30080/TCP,53/UDP',
      AGE: '60m',
      SELECTOR: 'app=web',
    });
    const lb = obj('Service', 'lb', { spec: { type: 'LoadBalancer', clusterIP: 'None', ports: [] } });
    expect(render(type('', 'Service'), lb)).toMatchObject({
      'CLUSTER-IP': 'None',
      'EXTERNAL-IP': '<pending>',
      'PORT(S)': '<none>',
      SELECTOR: '<none>',
    });
    const lbReady = obj('Service', 'lb', {
      spec: { type: 'LoadBalancer' },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'a.example.com' }] } },
    });
    expect(render(type('', 'Service'), lbReady)['EXTERNAL-IP']).toBe('203.0.113.9,a.example.com');
  });

  it('prints endpoints, capped at three', () => {
    const ep = obj('Endpoints', 'web', {
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }],
          ports: [{ port: 8080 }],
        },
      ],
    });
    expect(render(type('', 'Endpoints'), ep).ENDPOINTS).toBe('10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...');
    expect(render(type('', 'Endpoints'), obj('Endpoints', 'none')).ENDPOINTS).toBe('<none>');
  });

  it('prints nodes with status, roles and wide info', () => {
    const node = obj(
      'Node',
      'node-a',
      {
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '192.168.1.5' }],
          nodeInfo: {
            kubeletVersion: 'v1.32.5',
            osImage: 'Skiff',
            kernelVersion: '6.8.0',
            containerRuntimeVersion: 'runc://1.2',
          },
        },
      },
      { labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker' } },
    );
    expect(render(type('', 'Node'), node)).toEqual({
      NAME: 'node-a',
      STATUS: 'Ready,SchedulingDisabled',
      ROLES: 'control-plane,worker',
      AGE: '60m',
      VERSION: 'v1.32.5',
      'INTERNAL-IP': '192.168.1.5',
      'EXTERNAL-IP': '<none>',
      'OS-IMAGE': 'Skiff',
      'KERNEL-VERSION': '6.8.0',
      'CONTAINER-RUNTIME': 'runc://1.2',
    });
    expect(render(type('', 'Node'), obj('Node', 'n'))).toMatchObject({
      STATUS: 'Unknown',
      ROLES: '<none>',
      'OS-IMAGE': '<unknown>',
    });
  });

  it('prints deployments, replicasets and statefulsets', () => {
    const template = {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1.27' },
          { name: 'log', image: 'busybox' },
        ],
      },
    };
    const d = obj('Deployment', 'web', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    });
    expect(render(type('apps', 'Deployment'), d)).toEqual({
      NAME: 'web',
      READY: '2/3',
      'UP-TO-DATE': 3,
      AVAILABLE: 2,
      AGE: '60m',
      CONTAINERS: 'web,log',
      IMAGES: 'nginx:1.27,busybox',
      SELECTOR: 'app=web',
    });
    const rs = obj('ReplicaSet', 'web-5d9', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d9' } }, template },
      status: { replicas: 3, readyReplicas: 1 },
    });
    expect(render(type('apps', 'ReplicaSet'), rs)).toMatchObject({
      DESIRED: 3,
      CURRENT: 3,
      READY: 1,
      SELECTOR: 'app=web,pod-template-hash=5d9',
    });
    const sts = obj('StatefulSet', 'db', { spec: { template }, status: { readyReplicas: 0 } });
    expect(render(type('apps', 'StatefulSet'), sts)).toEqual({
      NAME: 'db',
      READY: '0/1',
      AGE: '60m',
      CONTAINERS: 'web,log',
      IMAGES: 'nginx:1.27,busybox',
    });
  });

  it('prints daemonsets and controllerrevisions', () => {
    const ds = obj('DaemonSet', 'agent', {
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [] } },
      },
      status: { desiredNumberScheduled: 2 },
    });
    expect(render(type('apps', 'DaemonSet'), ds)).toMatchObject({
      DESIRED: 2,
      CURRENT: 0,
      'NODE SELECTOR': 'kubernetes.io/os=linux',
      SELECTOR: 'app=agent',
    });
    const cr = obj(
      'ControllerRevision',
      'db-7c',
      { revision: 3 },
      { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u', controller: true }] },
    );
    expect(render(type('apps', 'ControllerRevision'), cr)).toEqual({
      NAME: 'db-7c',
      CONTROLLER: 'statefulset.apps/db',
      REVISION: 3,
      AGE: '60m',
    });
  });

  it('prints jobs with status, completions and duration', () => {
    const template = { spec: { containers: [{ name: 'pi', image: 'perl' }] } };
    const done = obj('Job', 'pi', {
      spec: { completions: 1, template, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } },
      status: {
        succeeded: 1,
        startTime: ago(600),
        completionTime: ago(420),
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    });
    expect(render(type('batch', 'Job'), done)).toEqual({
      NAME: 'pi',
      STATUS: 'Complete',
      COMPLETIONS: '1/1',
      DURATION: '3m',
      AGE: '60m',
      CONTAINERS: 'pi',
      IMAGES: 'perl',
      SELECTOR: 'batch.kubernetes.io/controller-uid=u1',
    });
    const running = obj('Job', 'par', { spec: { parallelism: 3, template }, status: { startTime: ago(75) } });
    expect(render(type('batch', 'Job'), running)).toMatchObject({
      STATUS: 'Running',
      COMPLETIONS: '0/1 of 3',
      DURATION: '75s',
    });
    const failed = obj('Job', 'f', {
      spec: { completions: 2, template },
      status: { conditions: [{ type: 'Failed', status: 'True' }] },
    });
    expect(render(type('batch', 'Job'), failed)).toMatchObject({ STATUS: 'Failed', COMPLETIONS: '0/2', DURATION: '' });
    const suspended = obj('Job', 's', {
      spec: { template },
      status: { conditions: [{ type: 'Suspended', status: 'True' }] },
    });
    expect(render(type('batch', 'Job'), suspended).STATUS).toBe('Suspended');
  });

  it('prints cronjobs', () => {
    const cj = obj('CronJob', 'nightly', {
      spec: {
        schedule: '0 3 * * *',
        suspend: false,
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
      },
      status: { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(125) },
    });
    expect(render(type('batch', 'CronJob'), cj)).toEqual({
      NAME: 'nightly',
      SCHEDULE: '0 3 * * *',
      TIMEZONE: '<none>',
      SUSPEND: 'False',
      ACTIVE: 1,
      'LAST SCHEDULE': '2m5s',
      AGE: '60m',
      CONTAINERS: 'c',
      IMAGES: 'busybox',
      SELECTOR: '<none>',
    });
  });

  it('prints HPA targets', () => {
    const hpa = obj('HorizontalPodAutoscaler', 'web', {
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
        ],
      },
      status: {
        currentReplicas: 2,
        currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }],
      },
    });
    expect(render(type('autoscaling', 'HorizontalPodAutoscaler'), hpa)).toEqual({
      NAME: 'web',
      REFERENCE: 'Deployment/web',
      TARGETS: 'cpu: 40%/80%, memory: <unknown>/500Mi + 1 more...',
      MINPODS: '1',
      MAXPODS: 10,
      REPLICAS: 2,
      AGE: '60m',
    });
  });

  it('prints ingresses and ingressclasses', () => {
    const ing = obj('Ingress', 'web', {
      spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, {}], tls: [{ hosts: ['a.example.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } },
    });
    expect(render(type('networking.k8s.io', 'Ingress'), ing)).toEqual({
      NAME: 'web',
      CLASS: 'nginx',
      HOSTS: 'a.example.com',
      ADDRESS: '10.0.0.9',
      PORTS: '80, 443',
      AGE: '60m',
    });
    expect(render(type('networking.k8s.io', 'Ingress'), obj('Ingress', 'x', { spec: {} }))).toMatchObject({
      CLASS: '<none>',
      HOSTS: '*',
      ADDRESS: '',
      PORTS: '80',
    });
    const ic = obj('IngressClass', 'nginx', {
      spec: {
        controller: 'k8s.io/ingress-nginx',
        parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' },
      },
    });
    expect(render(type('networking.k8s.io', 'IngressClass'), ic)).toMatchObject({
      CONTROLLER: 'k8s.io/ingress-nginx',
      PARAMETERS: 'IngressParameters.k8s.example.com/p',
    });
  });

  it('prints storage kinds', () => {
    const pv = obj('PersistentVolume', 'pv1', {
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        claimRef: { namespace: 'default', name: 'data' },
        storageClassName: 'fast',
      },
      status: { phase: 'Bound' },
    });
    expect(render(type('', 'PersistentVolume'), pv)).toEqual({
      NAME: 'pv1',
      CAPACITY: '10Gi',
      'ACCESS MODES': 'RWO,RWX',
      'RECLAIM POLICY': 'Retain',
      STATUS: 'Bound',
      CLAIM: 'default/data',
      STORAGECLASS: 'fast',
      VOLUMEATTRIBUTESCLASS: '<unset>',
      REASON: '',
      AGE: '60m',
      VOLUMEMODE: '<unset>',
    });
    const pending = obj('PersistentVolumeClaim', 'data', {
      spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } },
      status: { phase: 'Pending' },
    });
    expect(render(type('', 'PersistentVolumeClaim'), pending)).toMatchObject({
      STATUS: 'Pending',
      VOLUME: '',
      CAPACITY: '',
      'ACCESS MODES': '',
      STORAGECLASS: 'fast',
    });
    const bound = obj(
      'PersistentVolumeClaim',
      'data',
      {
        spec: { volumeName: 'pv1', volumeMode: 'Filesystem' },
        status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] },
      },
      { deletionTimestamp: ago(1) },
    );
    expect(render(type('', 'PersistentVolumeClaim'), bound)).toMatchObject({
      STATUS: 'Terminating',
      VOLUME: 'pv1',
      CAPACITY: '10Gi',
      'ACCESS MODES': 'RWO',
      VOLUMEMODE: 'Filesystem',
    });
    const sc = obj(
      'StorageClass',
      'fast',
      { provisioner: 'skiff.io/disk' },
      { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    );
    expect(render(type('storage.k8s.io', 'StorageClass'), sc)).toEqual({
      NAME: 'fast (default)',
      PROVISIONER: 'skiff.io/disk',
      RECLAIMPOLICY: 'Delete',
      VOLUMEBINDINGMODE: 'Immediate',
      ALLOWVOLUMEEXPANSION: false,
      AGE: '60m',
    });
  });

  it('prints leases and runtimeclasses', () => {
    expect(
      render(type('coordination.k8s.io', 'Lease'), obj('Lease', 'ctrl', { spec: { holderIdentity: 'pod-1' } })),
    ).toEqual({ NAME: 'ctrl', HOLDER: 'pod-1', AGE: '60m' });
    expect(render(type('node.k8s.io', 'RuntimeClass'), obj('RuntimeClass', 'gvisor', { handler: 'runsc' }))).toEqual({
      NAME: 'gvisor',
      HANDLER: 'runsc',
      AGE: '60m',
    });
  });

  it('prints core events', () => {
    const ev = obj('Event', 'web.17f', {
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff',
      type: 'Warning',
      message: 'Back-off restarting failed container\n',
      source: { component: 'kubelet', host: 'node-a' },
      firstTimestamp: ago(600),
      lastTimestamp: ago(30),
      count: 7,
    });
    expect(render(type('', 'Event'), ev)).toEqual({
      'LAST SEEN': '30s',
      TYPE: 'Warning',
      REASON: 'BackOff',
      OBJECT: 'pod/web',
      SUBOBJECT: 'spec.containers{app}',
      SOURCE: 'kubelet, node-a',
      MESSAGE: 'Back-off restarting failed container',
      'FIRST SEEN': '10m',
      COUNT: 7,
      NAME: 'web.17f',
    });
  });

  it('prints events.k8s.io events from their own field names', () => {
    const ev = obj('Event', 'web.18a', {
      regarding: { kind: 'Deployment', name: 'web' },
      reason: 'ScalingReplicaSet',
      type: 'Normal',
      note: 'Scaled up replica set web-5d9 to 3',
      eventTime: ago(90),
      reportingController: 'deployment-controller',
    });
    expect(render(type('events.k8s.io', 'Event'), ev)).toMatchObject({
      'LAST SEEN': '90s',
      OBJECT: 'deployment/web',
      SOURCE: 'deployment-controller',
      MESSAGE: 'Scaled up replica set web-5d9 to 3',
      'FIRST SEEN': '90s',
      COUNT: 1,
    });
    const series = obj('Event', 'e', {
      regarding: { kind: 'Node' },
      eventTime: ago(600),
      series: { count: 4, lastObservedTime: ago(5) },
    });
    expect(render(type('events.k8s.io', 'Event'), series)).toMatchObject({
      'LAST SEEN': '5s',
      OBJECT: 'node',
      COUNT: 4,
    });
  });
});
