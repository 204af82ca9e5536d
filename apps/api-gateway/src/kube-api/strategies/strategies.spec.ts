import { KubeObject } from '@skiff/api-machinery';
import { CUSTOM_RESOURCE_CLEANUP_FINALIZER, ResourceRegistry, ResourceType } from '@skiff/api-server';
import { InMemoryClusterIps } from '../../services/in-memory-cluster-ips.fixture';
import { ResourceStrategies, UpdateNeedsPreparation } from '.';

const registry = new ResourceRegistry();
const clusterIps = new InMemoryClusterIps();
const strategies = new ResourceStrategies(clusterIps);
const strategyFor = (t: ResourceType) => strategies.for(t);

function type(group: string, version: string, resource: string): ResourceType {
  const t = registry.get(group, version, resource);
  if (!t) throw new Error(`no ${group}/${version}/${resource}`);
  return t;
}

function obj(kind: string, rest: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name: 'x' }, ...rest };
}

describe(ResourceStrategies.name, () => {
  it('starts objects behind a status subresource from their initial status', () => {
    const given = { status: { phase: 'Running' } };
    expect(strategyFor(type('', 'v1', 'pods')).withInitialStatus(obj('Pod', given)).status).toEqual({
      phase: 'Pending',
    });
    expect(
      strategyFor(type('', 'v1', 'replicationcontrollers')).withInitialStatus(obj('ReplicationController', given))
        .status,
    ).toEqual({ replicas: 0 });
    expect(
      strategyFor(type('apps', 'v1', 'deployments')).withInitialStatus(obj('Deployment', given)),
    ).not.toHaveProperty('status');
    // Namespaces keep what defaulting gave them; ConfigMaps have no status subresource at all.
    expect(strategyFor(type('', 'v1', 'namespaces')).withInitialStatus(obj('Namespace', given)).status).toEqual(
      given.status,
    );
    expect(strategyFor(type('', 'v1', 'configmaps')).withInitialStatus(obj('ConfigMap', given)).status).toEqual(
      given.status,
    );
  });

  it('moves only status through /status and keeps status on the main resource', () => {
    const s = strategyFor(type('apps', 'v1', 'deployments'));
    const current = obj('Deployment', { spec: { replicas: 1 }, status: { replicas: 1 } });
    const requested = obj('Deployment', { spec: { replicas: 3 }, status: { replicas: 9 } });
    expect(s.prepareForUpdate(requested, current, 'status')).toMatchObject({
      spec: { replicas: 1 },
      status: { replicas: 9 },
    });
    expect(s.prepareForUpdate(requested, current, undefined)).toMatchObject({
      spec: { replicas: 3 },
      status: { replicas: 1 },
    });
  });

  it('replaces only the ephemeral containers of a pod through ephemeralcontainers', () => {
    const s = strategyFor(type('', 'v1', 'pods'));
    const current = obj('Pod', { spec: { containers: [{ name: 'a' }] } });
    const requested = obj('Pod', { spec: { containers: [], ephemeralContainers: [{ name: 'debug' }] } });
    expect(s.prepareForUpdate(requested, current, 'ephemeralcontainers').spec).toEqual({
      containers: [{ name: 'a' }],
      ephemeralContainers: [{ name: 'debug' }],
    });
  });

  it('deletes a pod on a node gracefully, an unbound or finished pod at once', () => {
    const s = strategyFor(type('', 'v1', 'pods'));
    const bound = obj('Pod', { spec: { nodeName: 'n', terminationGracePeriodSeconds: 5 } });
    expect(s.gracePeriod(bound, undefined)).toBe(5);
    expect(s.gracePeriod(bound, 0)).toBeUndefined();
    expect(s.gracePeriod(obj('Pod', { spec: {} }), 10)).toBeUndefined();
    expect(s.gracePeriod({ ...bound, status: { phase: 'Succeeded' } }, undefined)).toBeUndefined();
    expect(s.finalizersOnDelete([], 'Foreground')).toEqual([]);
  });

  it('adds the garbage collector finalizers for owners, and the cleanup finalizer for CRDs', () => {
    const rs = strategyFor(type('apps', 'v1', 'replicasets'));
    expect(rs.finalizersOnDelete([], 'Foreground')).toEqual(['foregroundDeletion']);
    expect(rs.finalizersOnDelete(['orphan'], 'Orphan')).toEqual(['orphan']);
    expect(rs.finalizersOnDelete([], 'Background')).toEqual([]);
    const crd = strategyFor(type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'));
    expect(crd.finalizersOnDelete([], undefined)).toEqual([CUSTOM_RESOURCE_CLEANUP_FINALIZER]);
  });

  it('turns a deleted namespace Terminating and leaves it to its lifecycle controller', () => {
    const s = strategyFor(type('', 'v1', 'namespaces'));
    expect(s.deletesContents).toBe(true);
    expect(s.markedForDeletion(obj('Namespace', { status: { phase: 'Active' } })).status).toEqual({
      phase: 'Terminating',
    });
  });

  it('generates a Job selector from its uid on create', () => {
    const job = strategyFor(type('batch', 'v1', 'jobs')).prepareForCreate({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', uid: 'u-1' },
      spec: { template: { metadata: {}, spec: { containers: [] } } },
    });
    expect(job.spec).toMatchObject({ selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } } });
  });

  it('refuses unconditional updates and strategic merge for custom resources only', () => {
    const builtIn = strategyFor(type('apps', 'v1', 'deployments'));
    expect([builtIn.allowUnconditionalUpdate, builtIn.strategicMergePatch, builtIn.validateStatusUpdate]).toEqual([
      true,
      true,
      false,
    ]);
    const custom = strategyFor({ ...type('apps', 'v1', 'deployments'), custom: {} as ResourceType['custom'] });
    expect([custom.allowUnconditionalUpdate, custom.strategicMergePatch, custom.validateStatusUpdate]).toEqual([
      false,
      false,
      true,
    ]);
  });

  describe('Services', () => {
    const services = () => strategyFor(type('', 'v1', 'services'));
    const svc = (uid: string, spec: Record<string, unknown>): KubeObject => ({
      ...obj('Service', { spec }),
      metadata: { name: `svc-${uid}`, namespace: 'default', uid },
    });

    it('takes a ClusterIP on create, with the IPv4 single-stack fields, and gives it back on delete', async () => {
      const created = await services().beforeCreate(svc('u1', { ports: [{ port: 80 }] }), false);
      const ip = clusterIps.held.get('u1');
      expect(ip).toMatch(/^10\.96\./);
      expect(created.spec).toMatchObject({
        clusterIP: ip,
        clusterIPs: [ip],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
      });
      await services().release(created);
      expect(clusterIps.held.has('u1')).toBe(false);
    });

    it('honours the address asked for, holds nothing on a dry run, and none for headless or ExternalName', async () => {
      const asked = await services().beforeCreate(svc('u2', { clusterIP: '10.96.7.7' }), true);
      expect(asked.spec).toMatchObject({ clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'] });
      expect(clusterIps.held.has('u2')).toBe(false);
      const headless = await services().beforeCreate(svc('u3', { clusterIP: 'None' }), false);
      expect(headless.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4'] });
      const external = await services().beforeCreate(
        svc('u4', { type: 'ExternalName', externalName: 'x.test' }),
        false,
      );
      expect(external.spec).not.toHaveProperty('clusterIP');
      expect([...clusterIps.held.keys()]).not.toContain('u3');
      expect([...clusterIps.held.keys()]).not.toContain('u4');
    });

    it('keeps the allocated address when an update leaves it out, and gives it back on turning ExternalName', async () => {
      const current = await services().beforeCreate(svc('u5', { ports: [{ port: 80 }] }), false);
      const replaced = services().prepareForUpdate(svc('u5', { ports: [{ port: 81 }] }), current, undefined);
      expect(replaced.spec).toMatchObject({ clusterIP: (current.spec as { clusterIP: string }).clusterIP });
      // Turned ExternalName by a patch that leaves the address in: the allocated values go.
      const external = svc('u5', { ...(current.spec as object), type: 'ExternalName', externalName: 'x.test' });
      expect(services().prepareForUpdate(external, current, undefined).spec).not.toHaveProperty('clusterIP');
      await services().afterUpdate(external, current);
      expect(clusterIps.held.has('u5')).toBe(false);
    });

    it('asks for an address before the write when a Service turns from ExternalName, and gives it back if abandoned', async () => {
      const strategy = services();
      const current = svc('u6', { type: 'ExternalName', externalName: 'x.test' });
      const requested = svc('u6', { type: 'ClusterIP', ports: [{ port: 80 }] });
      let preparation: UpdateNeedsPreparation | undefined;
      try {
        strategy.prepareForUpdate(requested, current, undefined);
      } catch (err) {
        preparation = err as UpdateNeedsPreparation;
      }
      expect(preparation).toBeInstanceOf(UpdateNeedsPreparation);
      await preparation!.prepare(false);
      const ip = clusterIps.held.get('u6');
      expect(strategy.prepareForUpdate(requested, current, undefined).spec).toMatchObject({
        clusterIP: ip,
        clusterIPs: [ip],
      });
      await strategy.abandonUpdate();
      expect(clusterIps.held.has('u6')).toBe(false);
    });
  });
});
