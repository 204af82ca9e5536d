import { isJsonObject, KubeObject } from '@skiff/api-machinery';
import { ResourceType } from '@skiff/api-server';
import { ClusterIps } from '../../services/cluster-ip.client';
import { ResourceStrategy, UpdateNeedsPreparation } from './resource-strategy';

type Spec = Record<string, unknown>;

function specOf(svc: KubeObject): Spec {
  return isJsonObject(svc.spec) ? { ...svc.spec } : {};
}

/** The address a Service holds from the service CIDR, if any (ExternalName and headless hold none). */
function heldIp(svc: KubeObject): string | undefined {
  const spec = specOf(svc);
  const ip = spec.clusterIP;
  return spec.type !== 'ExternalName' && typeof ip === 'string' && ip !== '' && ip !== 'None' ? ip : undefined;
}

/**
 * Services: a ClusterIP from network-svc's allocator on create (the one asked for, or any),
 * with upstream's dual-stack fields (IPv4 only); given back on delete or on turning ExternalName.
 * An update that leaves out the allocated address keeps it (upstream's patchAllocatedValues); a
 * Service turned from ExternalName gets one.
 */
export class ServiceStrategy extends ResourceStrategy {
  // What a Service turning from ExternalName was given by the allocator for this update.
  private allocated?: { uid: string; ip: string; dryRun: boolean };

  constructor(
    type: ResourceType,
    private readonly clusterIps: ClusterIps,
  ) {
    super(type);
  }

  override async beforeCreate(svc: KubeObject, dryRun: boolean): Promise<KubeObject> {
    const spec = specOf(svc);
    if (spec.type === 'ExternalName') return svc;
    const asked = spec.clusterIP || (Array.isArray(spec.clusterIPs) ? spec.clusterIPs[0] : undefined);
    const ip =
      asked === 'None'
        ? 'None'
        : await this.clusterIps.allocate({
            serviceUid: svc.metadata.uid!,
            namespace: svc.metadata.namespace!,
            name: svc.metadata.name!,
            ...(typeof asked === 'string' && asked !== '' ? { ip: asked } : {}),
            ...(dryRun ? { dryRun } : {}),
          });
    return {
      ...svc,
      spec: {
        ...spec,
        clusterIP: ip,
        clusterIPs: [ip],
        ipFamilies: spec.ipFamilies ?? ['IPv4'],
        ipFamilyPolicy: spec.ipFamilyPolicy ?? 'SingleStack',
      },
    };
  }

  override prepareForUpdate(requested: KubeObject, current: KubeObject, subresource: string | undefined): KubeObject {
    const next = super.prepareForUpdate(requested, current, subresource);
    const spec = specOf(next);
    const old = specOf(current);
    if (subresource) return next;
    dropLoadBalancerFields(spec, old);
    if (spec.type === 'ExternalName' && old.type !== 'ExternalName') {
      // Upstream's dropTypeDependentFields: turning ExternalName drops the allocated values left as they were.
      if (spec.clusterIP === undefined || spec.clusterIP === '' || spec.clusterIP === old.clusterIP)
        for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) delete spec[k];
      return { ...next, spec };
    }
    if (old.type === 'ExternalName' && spec.type !== 'ExternalName' && spec.clusterIP !== 'None')
      return { ...next, spec: this.withAllocatedIp(next, spec) };
    if (spec.type === 'ExternalName' || old.type === 'ExternalName') return next;
    // Upstream's normalizeClusterIPs: a changed clusterIP with clusterIPs left as they were moves them too.
    const oldIps = Array.isArray(old.clusterIPs) ? old.clusterIPs : [];
    if (
      typeof spec.clusterIP === 'string' &&
      spec.clusterIP !== '' &&
      spec.clusterIP !== old.clusterIP &&
      Array.isArray(spec.clusterIPs) &&
      spec.clusterIPs[0] === oldIps[0]
    )
      spec.clusterIPs = [spec.clusterIP, ...spec.clusterIPs.slice(1)];
    // Left out on update: the allocated values stay.
    for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'])
      if ((spec[k] === undefined || spec[k] === '') && old[k] !== undefined) spec[k] = old[k];
    return { ...next, spec };
  }

  // Turning from ExternalName takes an address (the one asked for, or any), got before the write.
  private withAllocatedIp(svc: KubeObject, spec: Spec): Spec {
    if (!this.allocated) {
      const asked = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : undefined;
      throw new UpdateNeedsPreparation(async (dryRun) => {
        const ip = await this.clusterIps.allocate({
          serviceUid: svc.metadata.uid!,
          namespace: svc.metadata.namespace!,
          name: svc.metadata.name!,
          ...(asked ? { ip: asked } : {}),
          ...(dryRun ? { dryRun } : {}),
        });
        this.allocated = { uid: svc.metadata.uid!, ip, dryRun };
      });
    }
    const ip = this.allocated.ip;
    return {
      ...spec,
      clusterIP: ip,
      clusterIPs: [ip],
      ipFamilies: spec.ipFamilies ?? ['IPv4'],
      ipFamilyPolicy: spec.ipFamilyPolicy ?? 'SingleStack',
    };
  }

  override async abandonUpdate(): Promise<void> {
    if (this.allocated && !this.allocated.dryRun) await this.clusterIps.release(this.allocated.uid);
  }

  override async afterUpdate(next: KubeObject, current: KubeObject): Promise<void> {
    if (heldIp(current) && !heldIp(next)) await this.clusterIps.release(current.metadata.uid!);
  }

  override async release(svc: KubeObject): Promise<void> {
    if (heldIp(svc)) await this.clusterIps.release(svc.metadata.uid!);
  }
}

/**
 * Upstream's dropTypeDependentFields, for what a LoadBalancer or NodePort Service had: leaving those types drops
 * the fields that only they may set, when the update left them as they were (a change by the user is validated).
 */
function dropLoadBalancerFields(spec: Spec, old: Spec): void {
  const nodeFacing = (t: unknown) => t === 'LoadBalancer' || t === 'NodePort';
  if (!nodeFacing(spec.type) && spec.externalTrafficPolicy === old.externalTrafficPolicy)
    delete spec.externalTrafficPolicy;
  if (spec.type === 'LoadBalancer') return;
  for (const k of ['allocateLoadBalancerNodePorts', 'loadBalancerClass', 'healthCheckNodePort'])
    if (spec[k] === old[k]) delete spec[k];
}
