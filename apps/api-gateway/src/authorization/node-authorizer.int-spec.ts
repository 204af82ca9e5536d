import { issueNodeClientCert } from '@skiff/config';
import { apiRequest, startTestCluster, TestCluster } from '@skiff/testing';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const podOn = (name: string, host: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, annotations: { 'skiff.io/sandbox-host': host } },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

// Sandbox agents are nodes: the admin impersonates them here (`--as=system:node:<host> --as-group=system:nodes`), which
// the authorizers see exactly as an agent's client certificate; one request checks the certificate itself.
describe('Node authorizer and NodeRestriction (sandbox agents)', () => {
  let cluster: TestCluster;
  const ns = 'team';
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const asNode = (host: string, ...args: string[]) =>
    cluster.kubectl([`--as=system:node:${host}`, '--as-group=system:nodes', '-n', ns, ...args]);
  const forbidden = (host: string, verb: string, resource: string, name: string, why: string) =>
    `Error from server (Forbidden): ${resource} "${name}" is forbidden: User "system:node:${host}" cannot ${verb} resource "${resource}" in API group "" in the namespace "${ns}": ${why}`;

  beforeAll(async () => {
    cluster = await startTestCluster();
    expect((await kubectl('create', 'namespace', ns)).code).toBe(0);
    const objects = [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mounted' }, stringData: { k: 'v' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'env' }, stringData: { k: 'v' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'elsewhere' }, stringData: { k: 'v' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'projected' }, data: { k: 'v' } },
      podOn('a', 'h1', {
        serviceAccountName: 'runner',
        volumes: [
          { name: 's', secret: { secretName: 'mounted' } },
          { name: 'p', projected: { sources: [{ configMap: { name: 'projected' } }] } },
        ],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'env', key: 'k' } } }],
          },
        ],
      }),
      podOn('b', 'h2', { volumes: [{ name: 's', secret: { secretName: 'elsewhere' } }] }),
    ];
    for (const o of objects) {
      const res = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: JSON.stringify(o) });
      expect(res.stderr).toBe('');
    }
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("lets an agent read the Secrets and ConfigMaps of its own pods, and no others, in upstream's words", async () => {
    for (const name of ['mounted', 'env']) expect((await asNode('h1', 'get', 'secret', name)).code).toBe(0);
    expect((await asNode('h1', 'get', 'configmap', 'projected')).code).toBe(0);
    expect((await asNode('h1', 'get', 'secret', 'elsewhere')).stderr.trim()).toBe(
      forbidden('h1', 'get', 'secrets', 'elsewhere', "no relationship found between node 'h1' and this object"),
    );
    expect((await asNode('h2', 'get', 'secret', 'mounted')).stderr.trim()).toBe(
      forbidden('h2', 'get', 'secrets', 'mounted', "no relationship found between node 'h2' and this object"),
    );
    // A single object may be watched by name; never the whole kind.
    expect((await asNode('h1', 'get', 'secrets', '--field-selector=metadata.name=mounted')).code).toBe(0);
    const list = await asNode('h1', 'get', 'secrets');
    expect(list.stderr).toContain('can only list individual resources of this type');
  });

  it('answers a pod bound a moment ago (before any event), and forgets a pod that leaves', async () => {
    const res = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      stdin: JSON.stringify(podOn('c', 'h3', { volumes: [{ name: 's', secret: { secretName: 'elsewhere' } }] })),
    });
    expect(res.code).toBe(0);
    expect((await asNode('h3', 'get', 'secret', 'elsewhere')).code).toBe(0);
    expect((await kubectl('delete', 'pod', 'c', '-n', ns, '--grace-period=0', '--force')).code).toBe(0);
    expect((await asNode('h3', 'get', 'secret', 'elsewhere')).code).not.toBe(0);
  });

  it('lets an agent write the status of, and delete, only the pods bound to it (NodeRestriction)', async () => {
    const patch = ['--subresource=status', '--type=merge', '-p', '{"status":{"message":"seen"}}'];
    expect((await asNode('h1', 'patch', 'pod', 'a', ...patch)).stderr).toBe('');
    const other = await asNode('h1', 'patch', 'pod', 'b', ...patch);
    expect(other.stderr.trim()).toBe(
      `Error from server (Forbidden): pods "b" is forbidden: User "system:node:h1" cannot patch resource "pods/status" in API group "" in the namespace "${ns}": node 'h1' can only update pod status for pods bound to its own sandbox host`,
    );
    const del = await asNode('h1', 'delete', 'pod', 'b', '--wait=false');
    expect(del.stderr).toContain("node 'h1' can only delete pods bound to its own sandbox host");
    // Reads of pods (every agent programs NetworkPolicy peers) and Services are open; anything else is RBAC's.
    expect((await asNode('h1', 'get', 'pods')).stdout).toMatch(/^b\s/m);
    expect((await asNode('h1', 'get', 'services')).code).toBe(0);
    expect((await asNode('h1', 'get', 'deployments')).stderr).toContain(
      'User "system:node:h1" cannot list resource "deployments" in API group "apps"',
    );
    expect((await asNode('h1', 'create', 'configmap', 'x')).code).not.toBe(0);
  });

  it("lets an agent read and delete only its own disks' VolumeAttachments", async () => {
    const va = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { name: 'csi-disk-1', annotations: { 'skiff.io/sandbox-host': 'h1' } },
      spec: {
        attacher: 'diskplugin.csi.alibabacloud.com',
        nodeName: 'virtual-kubelet',
        source: { persistentVolumeName: 'pv' },
      },
    };
    expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify(va) })).code).toBe(0);
    expect((await asNode('h2', 'delete', 'volumeattachment', 'csi-disk-1')).stderr).toContain(
      "node 'h2' can only delete volumeattachments bound to its own sandbox host",
    );
    expect((await asNode('h1', 'get', 'volumeattachment', 'csi-disk-1')).code).toBe(0);
    expect((await asNode('h1', 'delete', 'volumeattachment', 'csi-disk-1')).code).toBe(0);
  });

  it("issues tokens only for the ServiceAccounts of the agent's own pods", async () => {
    expect((await asNode('h1', 'create', 'token', 'runner')).code).toBe(0);
    expect((await asNode('h2', 'create', 'token', 'runner')).stderr.trim()).toBe(
      `error: failed to create token: serviceaccounts "runner" is forbidden: User "system:node:h2" cannot create resource "serviceaccounts/token" in API group "" in the namespace "${ns}": no relationship found between node 'h2' and this object`,
    );
  });

  it("authenticates an agent's own client certificate as its node", async () => {
    const pki = path.join(cluster.stateDir, 'pki');
    const cert = issueNodeClientCert(path.join(pki, 'ca.crt'), path.join(cluster.stateDir, 'agent'), 'h1');
    const caller = {
      server: cluster.stack.server,
      ca: cluster.stack.ca,
      cert: readFileSync(cert.certFile),
      key: readFileSync(cert.keyFile),
    };
    const who = await apiRequest(caller, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    expect(who.body).toMatchObject({
      status: { userInfo: { username: 'system:node:h1', groups: ['system:nodes', 'system:authenticated'] } },
    });
    expect((await apiRequest(caller, 'GET', `/api/v1/namespaces/${ns}/secrets/mounted`)).status).toBe(200);
    expect((await apiRequest(caller, 'GET', `/api/v1/namespaces/${ns}/secrets/elsewhere`)).status).toBe(403);
  });
});
