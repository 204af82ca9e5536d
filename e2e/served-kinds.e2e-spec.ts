import { startTestCluster, TestCluster } from '@skiff/testing';

// PodTemplate, ResourceQuota, LimitRange, EndpointSlice, NetworkPolicy, PriorityClass, CSIDriver
// and VolumeAttachment through the real kubectl 1.32: what it prints and what it is told.
describe('kubectl: the policy, discovery and storage kinds', () => {
  let cluster: TestCluster;
  const ns = 'served-kinds';

  beforeAll(async () => {
    cluster = await startTestCluster();
    expect((await cluster.kubectl(['create', 'ns', ns])).code).toBe(0);
  }, 90_000);

  afterAll(async () => {
    await cluster?.kubectl(['delete', 'ns', ns, '--wait=false']);
    await cluster?.stop();
  });

  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const apply = (yaml: string) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: yaml });
  /** The header of `kubectl get` as kubectl prints it, columns split on their padding. */
  const header = (stdout: string) =>
    stdout
      .split('\n')[0]
      .trim()
      .split(/\s{2,}/);
  const row = (stdout: string, name: string) =>
    stdout
      .split('\n')
      .find((l) => l.startsWith(`${name} `))
      ?.trim()
      .split(/\s{2,}/);

  it('lists the system priority classes with upstream columns and protects them', async () => {
    const get = await kubectl('get', 'priorityclass');
    expect(get.stderr).toBe('');
    expect(header(get.stdout)).toEqual(['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    expect(row(get.stdout, 'system-node-critical')).toEqual([
      'system-node-critical',
      '2000001000',
      'false',
      expect.any(String),
      'PreemptLowerPriority',
    ]);
    expect(row(get.stdout, 'system-cluster-critical')).toEqual([
      'system-cluster-critical',
      '2000000000',
      'false',
      expect.any(String),
      'PreemptLowerPriority',
    ]);
    const del = await kubectl('delete', 'priorityclass', 'system-node-critical');
    expect(del.code).toBe(1);
    expect(del.stderr.trim()).toBe(
      'Error from server (Forbidden): priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted',
    );
  });

  it('creates priority classes with kubectl create (protobuf) and refuses user values above 1e9', async () => {
    const ok = await kubectl('create', 'priorityclass', 'high', '--value=1000', '--description=x');
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('priorityclass.scheduling.k8s.io/high created');
    const json = JSON.parse((await kubectl('get', 'pc', 'high', '-o', 'json')).stdout);
    expect(json).toMatchObject({ value: 1000, description: 'x', preemptionPolicy: 'PreemptLowerPriority' });
    const tooHigh = await kubectl('create', 'priorityclass', 'higher', '--value=2000000001');
    expect(tooHigh.code).toBe(1);
    expect(tooHigh.stderr.trim()).toBe(
      'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "higher" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    );
    const reserved = await kubectl('create', 'priorityclass', 'system-mine', '--value=10');
    expect(reserved.stderr).toContain(
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    );
    const explain = await kubectl('explain', 'priorityclass.value');
    expect(explain.stdout).toMatch(/FIELD:\s+value <integer>/);
    expect(explain.stdout).toContain('value represents the integer value of this priority class');
  });

  it('creates a quota with kubectl create quota and prints it as upstream, empty status included', async () => {
    const created = await kubectl('create', 'quota', 'q', '-n', ns, '--hard=pods=10,cpu=2');
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('resourcequota/q created');
    const get = await kubectl('get', 'quota', '-n', ns);
    expect(get.stderr).toBe('');
    expect(header(get.stdout)).toEqual(['NAME', 'AGE', 'REQUEST', 'LIMIT']);
    expect(row(get.stdout, 'q')?.[0]).toBe('q');
    const spec = JSON.parse((await kubectl('get', 'quota', 'q', '-n', ns, '-o', 'json')).stdout).spec;
    expect(spec).toEqual({ hard: { pods: '10', cpu: '2' } });
    const describe = await kubectl('describe', 'quota', 'q', '-n', ns);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/^Name:\s+q$/m);
    const bad = await kubectl('create', 'quota', 'bad', '-n', ns, '--hard=pods=1500m');
    expect(bad.stderr.trim()).toBe(
      'error: failed to create quota: ResourceQuota "bad" is invalid: spec.hard[pods]: Invalid value: 1500m: must be an integer',
    );
  });

  it('applies a LimitRange and prints NAME and CREATED AT', async () => {
    const res = await apply(`apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m}
    max: {cpu: "2"}
`);
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('limitrange/limits created');
    const get = await kubectl('get', 'limits', '-n', ns);
    expect(header(get.stdout)).toEqual(['NAME', 'CREATED AT']);
    expect(row(get.stdout, 'limits')?.[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const bad = await apply(`apiVersion: v1
kind: LimitRange
metadata: {name: inverted}
spec:
  limits:
  - type: Container
    min: {cpu: "2"}
    max: {cpu: "1"}
`);
    expect(bad.stderr.trim()).toBe(
      'The LimitRange "inverted" is invalid: spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1',
    );
  });

  it('applies a NetworkPolicy, defaulting policyTypes and protocols', async () => {
    const res = await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}, {ipBlock: {cidr: 10.244.0.0/16, except: [10.244.1.0/24]}}]
    ports: [{port: 5432}]
`);
    expect(res.stderr).toBe('');
    const get = await kubectl('get', 'netpol', '-n', ns);
    expect(header(get.stdout)).toEqual(['NAME', 'POD-SELECTOR', 'AGE']);
    expect(row(get.stdout, 'db')?.slice(0, 2)).toEqual(['db', 'app=db']);
    const spec = JSON.parse((await kubectl('get', 'netpol', 'db', '-n', ns, '-o', 'json')).stdout).spec;
    expect(spec).toMatchObject({ policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 5432, protocol: 'TCP' }] }] });
    const bad = await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad}
spec:
  podSelector: {}
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}]
`);
    expect(bad.stderr.trim()).toBe(
      'The NetworkPolicy "bad" is invalid: spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
    );
  });

  it('applies an EndpointSlice and prints its ports and endpoints', async () => {
    const res = await apply(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 80}]
endpoints:
- addresses: [10.244.0.5]
  conditions: {ready: true}
  hints: {forZones: [{name: zone-a}]}
- addresses: [10.244.0.6]
`);
    expect(res.stderr).toBe('');
    const get = await kubectl('get', 'endpointslices', '-n', ns);
    expect(header(get.stdout)).toEqual(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    expect(row(get.stdout, 'web-abc')?.slice(0, 4)).toEqual(['web-abc', 'IPv4', '80', '10.244.0.5,10.244.0.6']);
    const bad = await apply(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-bad}
addressType: IPv4
endpoints: [{addresses: [fd00::1]}]
`);
    expect(bad.stderr.trim()).toBe(
      'The EndpointSlice "web-bad" is invalid: endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
    );
  });

  it('applies a PodTemplate, and serverless admission refuses one on the host network', async () => {
    const res = await apply(`apiVersion: v1
kind: PodTemplate
metadata: {name: web}
template:
  metadata: {labels: {app: web}}
  spec: {containers: [{name: app, image: busybox}]}
`);
    expect(res.stderr).toBe('');
    const get = await kubectl('get', 'podtemplates', '-n', ns);
    expect(header(get.stdout)).toEqual(['NAME', 'CONTAINERS', 'IMAGES', 'POD LABELS']);
    expect(row(get.stdout, 'web')).toEqual(['web', 'app', 'busybox', 'app=web']);
    const defaulted = JSON.parse((await kubectl('get', 'podtemplate', 'web', '-n', ns, '-o', 'json')).stdout).template
      .spec;
    expect(defaulted).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      containers: [{ imagePullPolicy: 'Always' }],
    });
    const host = await apply(`apiVersion: v1
kind: PodTemplate
metadata: {name: host}
template:
  spec: {hostNetwork: true, containers: [{name: app, image: busybox}]}
`);
    expect(host.stderr.trim()).toMatch(
      /^Error from server \(Forbidden\): error when creating "STDIN": podtemplates "host" is forbidden: .*template\.spec\.hostNetwork/,
    );
    const bad = await apply(`apiVersion: v1
kind: PodTemplate
metadata: {name: empty}
template: {spec: {containers: []}}
`);
    expect(bad.stderr.trim()).toBe('The PodTemplate "empty" is invalid: template.spec.containers: Required value');
  });

  it('applies a CSIDriver and a VolumeAttachment and prints them as upstream', async () => {
    const driver = await apply(`apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: disk.csi.skiff.dev}
spec: {attachRequired: true, podInfoOnMount: true, tokenRequests: [{audience: skiff}]}
`);
    expect(driver.stderr).toBe('');
    const drivers = await kubectl('get', 'csidrivers');
    expect(header(drivers.stdout)).toEqual([
      'NAME',
      'ATTACHREQUIRED',
      'PODINFOONMOUNT',
      'STORAGECAPACITY',
      'TOKENREQUESTS',
      'REQUIRESREPUBLISH',
      'MODES',
      'AGE',
    ]);
    expect(row(drivers.stdout, 'disk.csi.skiff.dev')?.slice(0, 7)).toEqual([
      'disk.csi.skiff.dev',
      'true',
      'true',
      'false',
      'skiff',
      'false',
      'Persistent',
    ]);
    const flip = await cluster.kubectl(['apply', '-f', '-'], {
      stdin:
        'apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata: {name: disk.csi.skiff.dev}\nspec: {attachRequired: false}\n',
    });
    expect(flip.stderr.trim()).toBe(
      'The CSIDriver "disk.csi.skiff.dev" is invalid: spec.attachedRequired: Invalid value: false: field is immutable',
    );

    const va = await apply(`apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: csi-abc}
spec: {attacher: disk.csi.skiff.dev, nodeName: virtual-node-a, source: {persistentVolumeName: pv-1}}
`);
    expect(va.stderr).toBe('');
    const vas = await kubectl('get', 'volumeattachments');
    expect(header(vas.stdout)).toEqual(['NAME', 'ATTACHER', 'PV', 'NODE', 'ATTACHED', 'AGE']);
    expect(row(vas.stdout, 'csi-abc')?.slice(0, 5)).toEqual([
      'csi-abc',
      'disk.csi.skiff.dev',
      'pv-1',
      'virtual-node-a',
      'false',
    ]);
    const bad = await apply(`apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: csi-bad}
spec: {attacher: disk.csi.skiff.dev, nodeName: virtual-node-a, source: {}}
`);
    expect(bad.stderr.trim()).toBe(
      'The VolumeAttachment "csi-bad" is invalid: spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
    );
    const badDriver = await apply(`apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: nfs.csi.skiff.dev}
spec: {fsGroupPolicy: Always}
`);
    expect(badDriver.stderr.trim()).toBe(
      'The CSIDriver "nfs.csi.skiff.dev" is invalid: spec.fsGroupPolicy: Unsupported value: "Always": supported values: "File", "None", "ReadWriteOnceWithFSType"',
    );
  });

  it('accepts the fields Kubernetes 1.32 manifests use under strict validation', async () => {
    const res = await apply(`apiVersion: v1
kind: PodTemplate
metadata: {name: newer-fields}
template:
  spec:
    containers:
    - name: app
      image: busybox
      lifecycle: {preStop: {sleep: {seconds: 5}}}
      volumeMounts: [{name: data, mountPath: /data, readOnly: true, recursiveReadOnly: IfPossible}]
    volumes: [{name: data, emptyDir: {}}]
`);
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('podtemplate/newer-fields created');
  });
});
