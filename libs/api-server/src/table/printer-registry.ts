// Which printer renders which kind: one entry per built-in kind, keyed by group and kind, so
// a new kind is a new line here rather than a new branch in a switch.
import { ResourceType } from '../resources/resource-types';
import { horizontalPodAutoscalerPrinter } from './autoscaling.printer';
import { cronJobPrinter, jobPrinter } from './batch.printer';
import { customResourceDefinitionPrinter } from './apiextensions.printer';
import { customColumnsPrinter } from './custom-columns.printer';
import {
  configMapPrinter,
  endpointsPrinter,
  namespacePrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core.printer';
import { csiDriverPrinter, volumeAttachmentPrinter } from './csi.printer';
import { endpointSlicePrinter } from './discovery.printer';
import { eventPrinter, eventsV1EventPrinter } from './event.printer';
import { nodeMetricsPrinter, podMetricsPrinter } from './metrics.printer';
import { ingressClassPrinter, ingressPrinter } from './networking.printer';
import { networkPolicyPrinter } from './network-policy.printer';
import { leasePrinter, nodePrinter, runtimeClassPrinter } from './node.printer';
import { podPrinter } from './pod.printer';
import { podTemplatePrinter } from './pod-template.printer';
import { podDisruptionBudgetPrinter } from './policy.printer';
import { replicationControllerPrinter } from './replication-controller.printer';
import { limitRangePrinter, resourceQuotaPrinter } from './quota.printer';
import { priorityClassPrinter } from './scheduling.printer';
import { clusterRoleBindingPrinter, roleBindingPrinter, rolePrinter } from './rbac.printer';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from './storage.printer';
import { ResourcePrinter } from './table.types';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
} from './workloads.printer';

const PRINTERS: ReadonlyMap<string, ResourcePrinter> = new Map([
  ['/Pod', podPrinter],
  ['/Namespace', namespacePrinter],
  ['/ConfigMap', configMapPrinter],
  ['/Secret', secretPrinter],
  ['/Service', servicePrinter],
  ['/Endpoints', endpointsPrinter],
  ['/Event', eventPrinter],
  ['/ServiceAccount', serviceAccountPrinter],
  ['/Node', nodePrinter],
  ['/PersistentVolume', persistentVolumePrinter],
  ['/PersistentVolumeClaim', persistentVolumeClaimPrinter],
  ['/PodTemplate', podTemplatePrinter],
  ['/ResourceQuota', resourceQuotaPrinter],
  ['/LimitRange', limitRangePrinter],
  ['/ReplicationController', replicationControllerPrinter],
  ['apps/Deployment', deploymentPrinter],
  ['apps/ReplicaSet', replicaSetPrinter],
  ['apps/StatefulSet', statefulSetPrinter],
  ['apps/ControllerRevision', controllerRevisionPrinter],
  ['apps/DaemonSet', daemonSetPrinter],
  ['batch/Job', jobPrinter],
  ['batch/CronJob', cronJobPrinter],
  ['autoscaling/HorizontalPodAutoscaler', horizontalPodAutoscalerPrinter],
  ['policy/PodDisruptionBudget', podDisruptionBudgetPrinter],
  ['networking.k8s.io/Ingress', ingressPrinter],
  ['networking.k8s.io/IngressClass', ingressClassPrinter],
  ['networking.k8s.io/NetworkPolicy', networkPolicyPrinter],
  ['discovery.k8s.io/EndpointSlice', endpointSlicePrinter],
  ['scheduling.k8s.io/PriorityClass', priorityClassPrinter],
  ['storage.k8s.io/StorageClass', storageClassPrinter],
  ['storage.k8s.io/CSIDriver', csiDriverPrinter],
  ['storage.k8s.io/VolumeAttachment', volumeAttachmentPrinter],
  ['coordination.k8s.io/Lease', leasePrinter],
  ['rbac.authorization.k8s.io/Role', rolePrinter],
  ['rbac.authorization.k8s.io/ClusterRole', rolePrinter],
  ['rbac.authorization.k8s.io/RoleBinding', roleBindingPrinter],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', clusterRoleBindingPrinter],
  ['node.k8s.io/RuntimeClass', runtimeClassPrinter],
  ['events.k8s.io/Event', eventsV1EventPrinter],
  ['apiextensions.k8s.io/CustomResourceDefinition', customResourceDefinitionPrinter],
  ['metrics.k8s.io/PodMetrics', podMetricsPrinter],
  ['metrics.k8s.io/NodeMetrics', nodeMetricsPrinter],
]);

/**
 * NAME + AGE: what custom resources without additionalPrinterColumns print (the CRD handler's
 * default Age column, type date).
 */
export const DEFAULT_PRINTER: ResourcePrinter = customColumnsPrinter([]);

// A custom resource's printer is built once per served type (its JSONPaths compiled once).
const customPrinters = new WeakMap<object, ResourcePrinter>();

/** The printer for a kind: a CRD's printer columns, a built-in's own printer, or undefined (use DEFAULT_PRINTER). */
export function printerFor(type: Pick<ResourceType, 'group' | 'kind' | 'custom'>): ResourcePrinter | undefined {
  if (type.custom) {
    let printer = customPrinters.get(type.custom);
    if (!printer) customPrinters.set(type.custom, (printer = customColumnsPrinter(type.custom.printerColumns)));
    return printer;
  }
  return PRINTERS.get(`${type.group}/${type.kind}`);
}
