import { runKubectl, startTestCluster, TestCluster } from '@skiff/testing';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

describe('kubectl: refusals a user sees', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc']);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const applyStdin = (yaml: string) => cluster.kubectl(['apply', '-f', '-'], { stdin: yaml });

  it('refuses a DaemonSet and says why', async () => {
    const res = await applyStdin(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox}]}
`);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toMatch(
      /^Error from server \(Forbidden\): error when creating "STDIN": daemonsets\.apps "agent" is forbidden: .*serverless.*DaemonSet/,
    );
  });

  it('refuses a NodePort Service and accepts a LoadBalancer without node ports', async () => {
    const np = await cluster.kubectl(['create', 'service', 'nodeport', 'np', '--tcp=80:8080']);
    expect(np.stderr.trim()).toMatch(
      /^error: failed to create NodePort service: services "np" is forbidden: .*NodePort/,
    );
    const lb = await cluster.kubectl(['create', 'service', 'loadbalancer', 'lb', '--tcp=80:8080']);
    expect(lb.stdout.trim()).toBe('service/lb created');
    const ports = await cluster.kubectl(['get', 'svc', 'lb', '-o', 'jsonpath={.spec.type} {.spec.ports[0].nodePort}']);
    expect(ports.stdout.trim()).toBe('LoadBalancer');
  });

  it('refuses host access in pods', async () => {
    const res = await applyStdin(`apiVersion: v1
kind: Pod
metadata: {name: peek}
spec:
  containers: [{name: c, image: busybox, volumeMounts: [{name: root, mountPath: /host}]}]
  volumes: [{name: root, hostPath: {path: /}}]
`);
    expect(res.stderr.trim()).toMatch(
      /^Error from server \(Forbidden\): error when creating "STDIN": pods "peek" is forbidden: .*spec\.volumes\[0\]\.hostPath/,
    );
    const priv = await cluster.kubectl(['run', 'root', '--image=busybox', '--privileged']);
    expect(priv.stderr).toMatch(/Error from server \(Forbidden\): pods "root" is forbidden: .*privileged/);
  });

  it('rejects an invalid name with the field path', async () => {
    const res = await cluster.kubectl(['create', 'ns', 'Bad_Name']);
    expect(res.stderr.trim()).toBe(
      `The Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    );
  });

  it("rejects unknown fields under kubectl's strict validation", async () => {
    const res = await applyStdin(`apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  replicaz: 2
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec: {containers: [{name: c, image: busybox}]}
`);
    expect(res.stderr.trim()).toBe(
      'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicaz"',
    );
  });

  it('reports malformed YAML and JSON', async () => {
    const bad = path.join(cluster.stateDir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n');
    const res = await cluster.kubectl(['apply', '-f', bad]);
    expect(res.stderr).toMatch(/^error: error parsing .*bad\.yaml: error converting YAML to JSON: yaml: line \d+:/);
    const raw = path.join(cluster.stateDir, 'bad.json');
    writeFileSync(raw, '{"apiVersion":"v1","kind":"ConfigMap",');
    const server = await cluster.kubectl(['create', '--raw', '/api/v1/namespaces/default/configmaps', '-f', raw]);
    expect(server.stderr).toMatch(/^Error from server \(BadRequest\):/);
  });

  it('refuses a body above 3 MiB', async () => {
    const big = path.join(cluster.stateDir, 'big.yaml');
    writeFileSync(
      big,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: "${'x'.repeat(3 * 1024 * 1024 + 10)}"\n`,
    );
    const res = await cluster.kubectl(['create', '-f', big]);
    expect(res.stderr.trim()).toBe(
      'Error from server (RequestEntityTooLarge): error when creating "' +
        big +
        '": Request entity too large: limit is 3145728',
    );
  });

  it('refuses a request without a valid token', async () => {
    const kubeconfig = path.join(cluster.stateDir, 'no-token.kubeconfig');
    writeFileSync(
      kubeconfig,
      readFileSync(cluster.stack.kubeconfig, 'utf8').replace(/token: .*/, 'token: not-the-token'),
    );
    const res = await runKubectl([
      '--kubeconfig',
      kubeconfig,
      '--cache-dir',
      path.join(cluster.stateDir, 'c2'),
      'get',
      'ns',
    ]);
    // Discovery fails first, so kubectl reports it the way it does against kube-apiserver.
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n').pop()).toBe(
      'error: You must be logged in to the server (the server has asked for the client to provide credentials)',
    );
  });
});
