import type { Node, NodeCondition } from '@skiff/kube-types';
import { RegisteredHost } from './host-registry.repository';

export const VIRTUAL_NODE_PREFIX = 'virtual-kubelet';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export function virtualNodeName(zone: string): string {
  return `${VIRTUAL_NODE_PREFIX}-${zone}`;
}

export function zoneOfNode(nodeName: string, zones: string[]): string | undefined {
  return zones.find((z) => virtualNodeName(z) === nodeName);
}

export function virtualNodeLabels(zone: string): Record<string, string> {
  return {
    type: 'virtual-kubelet',
    'kubernetes.io/role': 'agent',
    [ZONE_LABEL]: zone,
    'failure-domain.beta.kubernetes.io/zone': zone,
    'kubernetes.io/hostname': virtualNodeName(zone),
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
  };
}

function quantityOfBytes(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

/** The Node object of a zone's virtual node: capacity is the sum of its live sandbox hosts. */
export function virtualNode(zone: string, hosts: RegisteredHost[], now: string): Node {
  const live = hosts.filter((h) => h.zone === zone && !h.stale);
  const cpuMilli = live.reduce((s, h) => s + h.capacity.cpuMilli, 0);
  const memory = live.reduce((s, h) => s + h.capacity.memoryBytes, 0);
  const pods = live.reduce((s, h) => s + h.capacity.pods, 0);
  const resources = {
    cpu: cpuMilli % 1000 === 0 ? String(cpuMilli / 1000) : `${cpuMilli}m`,
    memory: quantityOfBytes(memory),
    pods: String(pods),
    'ephemeral-storage': '100Gi',
  };
  const ready = live.length > 0;
  const condition = (type: string, status: string, reason: string, message: string): NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: virtualNodeName(zone), labels: virtualNodeLabels(zone) },
    spec: {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition(
          'Ready',
          ready ? 'True' : 'False',
          ready ? 'KubeletReady' : 'NoSandboxHosts',
          ready ? `${live.length} sandbox host(s) ready` : 'no live sandbox host in this zone',
        ),
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'virtual node has sufficient memory available',
        ),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'virtual node has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'virtual node has sufficient PID available'),
      ],
      addresses: [
        ...live.slice(0, 1).map((h) => ({ type: 'InternalIP', address: h.hostIP })),
        { type: 'Hostname', address: virtualNodeName(zone) },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: 'Skiff sandboxes',
        containerRuntimeVersion: 'skiff://0.1.0',
        kubeletVersion: 'v1.32.0-skiff',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
