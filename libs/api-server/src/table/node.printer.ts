// Cluster-level node kinds: nodes (STATUS, ROLES, wide addresses and runtime info),
// runtimeclasses and leases.
import { KubeObject } from '@skiff/api-machinery';
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { list, optBool, str } from './unstructured';

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

function nodeStatus(node: KubeObject): string {
  const ready = list(node, 'status', 'conditions').find((c) => str(c, 'type') === 'Ready');
  const status = ready === undefined ? ['Unknown'] : [str(ready, 'status') === 'True' ? 'Ready' : 'NotReady'];
  if (optBool(node, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

// findNodeRoles: `node-role.kubernetes.io/<role>` keys and the legacy `kubernetes.io/role` value.
function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(NODE_ROLE_PREFIX)) {
      const role = k.slice(NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === NODE_ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(node: KubeObject, type: string): string {
  const a = list(node, 'status', 'addresses').find((x) => str(x, 'type') === type);
  return a === undefined ? '<none>' : str(a, 'address');
}

export const nodePrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    column(
      'OS-Image',
      'string',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      1,
    ),
    column(
      'Kernel-Version',
      'string',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      1,
    ),
    column(
      'Container-Runtime',
      'string',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      1,
    ),
  ],
  cells: (node, { now }) => [
    nameOf(node),
    nodeStatus(node),
    nodeRoles(node),
    ageOf(node, now),
    str(node, 'status', 'nodeInfo', 'kubeletVersion'),
    nodeAddress(node, 'InternalIP'),
    nodeAddress(node, 'ExternalIP'),
    str(node, 'status', 'nodeInfo', 'osImage') || '<unknown>',
    str(node, 'status', 'nodeInfo', 'kernelVersion') || '<unknown>',
    str(node, 'status', 'nodeInfo', 'containerRuntimeVersion') || '<unknown>',
  ],
};

export const runtimeClassPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'Handler',
      'string',
      'Handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class.',
    ),
    AGE_COLUMN,
  ],
  cells: (rc, { now }) => [nameOf(rc), str(rc, 'handler'), ageOf(rc, now)],
};

export const leasePrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
    AGE_COLUMN,
  ],
  cells: (lease, { now }) => [nameOf(lease), str(lease, 'spec', 'holderIdentity'), ageOf(lease, now)],
};
