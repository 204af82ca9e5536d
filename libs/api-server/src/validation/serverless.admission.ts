// Serverless admission: refuses what cannot run without nodes (ASK/ECI's own limits), naming the field.
import type { KubeObject } from '@skiff/api-machinery';
import type { ResourceType } from '../resources/resource-types';
import { ApiError } from '@skiff/api-machinery';
import { arrAt, objAt } from './json-access';
import { podSpecOf } from './pod-spec-accessor';

const PREFIX = 'Skiff is serverless';

function refuse(type: ResourceType, obj: KubeObject, message: string): never {
  const name = obj.metadata?.name || obj.metadata?.generateName || undefined;
  throw ApiError.forbidden({ group: type.group, resource: type.resource, name }, `${PREFIX}: ${message}`);
}

/** The first host-level feature a pod spec asks for, as `[field, sentence]`. */
export function findHostAccess(spec: Record<string, unknown>, path: string): [string, string] | undefined {
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[ns] === true) {
      const what = {
        hostNetwork: "the host's network",
        hostPID: "the host's process namespace",
        hostIPC: "the host's IPC namespace",
      }[ns];
      return [
        `${path}.${ns}`,
        `pods run in their own sandbox and cannot share ${what} (${path}.${ns}: true); remove it`,
      ];
    }
  }
  for (const [i, v] of arrAt(spec.volumes).entries()) {
    if (objAt(v)?.hostPath !== undefined) {
      const f = `${path}.volumes[${i}].hostPath`;
      return [
        f,
        `pods run on virtual nodes with no host filesystem, so hostPath volumes are not allowed (${f}); use an emptyDir, a ConfigMap/Secret or a PersistentVolumeClaim instead`,
      ];
    }
  }
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const [i, raw] of arrAt(spec[list]).entries()) {
      const c = objAt(raw) ?? {};
      const cpath = `${path}.${list}[${i}]`;
      if (objAt(c.securityContext)?.privileged === true) {
        const f = `${cpath}.securityContext.privileged`;
        return [
          f,
          `privileged containers are not allowed in a sandbox (${f}: true); grant only the capabilities the container needs`,
        ];
      }
      for (const [j, p] of arrAt(c.ports).entries()) {
        const hp = objAt(p)?.hostPort;
        if (typeof hp === 'number' && hp !== 0) {
          const f = `${cpath}.ports[${j}].hostPort`;
          return [
            f,
            `there is no node to bind a host port on (${f}: ${hp}); remove hostPort and expose the pod with a Service`,
          ];
        }
      }
    }
  }
  return undefined;
}

/** Throws 403 Forbidden for objects a serverless cluster cannot honour. Call after defaulting. */
export function admitServerless(type: ResourceType, obj: KubeObject): void {
  if (type.group === 'apps' && type.kind === 'DaemonSet') {
    refuse(type, obj, 'there are no nodes to run a DaemonSet on; run the workload as a Deployment instead');
  }
  if (type.group === '' && type.kind === 'Service') {
    const spec = objAt(obj.spec) ?? {};
    if (spec.type === 'NodePort') {
      refuse(
        type,
        obj,
        'there are no nodes to open a NodePort on (spec.type: NodePort); use type LoadBalancer or ClusterIP instead',
      );
    }
    for (const [i, p] of arrAt(spec.ports).entries()) {
      const np = objAt(p)?.nodePort;
      if (typeof np === 'number' && np !== 0) {
        refuse(
          type,
          obj,
          `there are no nodes to open a node port on (spec.ports[${i}].nodePort: ${np}); remove nodePort, LoadBalancer services are served without node ports`,
        );
      }
    }
    if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === true) {
      refuse(
        type,
        obj,
        'load balancers send traffic straight to pods, without node ports (spec.allocateLoadBalancerNodePorts: true); set it to false or leave it out',
      );
    }
    return;
  }
  const loc = podSpecOf(type, obj);
  if (!loc) return;
  const found = findHostAccess(loc.spec, loc.path);
  if (found) refuse(type, obj, found[1]);
}
