// The table of per-kind rules validateObject dispatches on, keyed by `group/Kind`.
import { validateCrd, validateCrdUpdate } from '../apiextensions/crd.validation';
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { validateHpa } from './autoscaling.validation';
import { validateCronJob, validateJob, validateJobUpdate } from './batch.validation';
import {
  validateCoreEvent,
  validateEventsV1Event,
  validateLease,
  validateNamespace,
  validateNode,
  validateRuntimeClass,
  validateRuntimeClassUpdate,
} from './cluster.validation';
import { validateConfigMap, validateConfigMapUpdate, validateSecret, validateSecretUpdate } from './config.validation';
import {
  validateCsiDriver,
  validateCsiDriverUpdate,
  validateVolumeAttachment,
  validateVolumeAttachmentUpdate,
} from './csi.validation';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './discovery.validation';
import { nameIsDns1035Label, nameIsDnsLabel, nameIsDnsSubdomain, type NameValidator } from '@skiff/api-machinery';
import { validateIngress, validateIngressClass, validateIngressClassUpdate } from './networking.validation';
import { validateNetworkPolicy, validateNetworkPolicyUpdate } from './network-policy.validation';
import { validateObjectMetaUpdate } from './object-meta.validation';
import { validatePodSpec, validatePodUpdate } from './pod.validation';
import { validatePodTemplate, validatePodTemplateUpdate } from './pod-template.validation';
import { validatePodDisruptionBudget } from './policy.validation';
import { validateReplicationController } from './replication-controller.validation';
import {
  nameIsPathSegment,
  validateClusterRole,
  validateClusterRoleBinding,
  validateClusterRoleBindingUpdate,
  validateRole,
  validateRoleBinding,
  validateRoleBindingUpdate,
} from './rbac.validation';
import { validateLimitRange, validateResourceQuota, validateResourceQuotaUpdate } from './quota.validation';
import { validatePriorityClass, validatePriorityClassUpdate } from './scheduling.validation';
import { validateEndpoints, validateService, validateServiceUpdate } from './service.validation';
import {
  validatePv,
  validatePvc,
  validatePvcUpdate,
  validatePvUpdate,
  validateStorageClass,
  validateStorageClassUpdate,
} from './storage.validation';
import {
  selectorImmutable,
  validateDaemonSet,
  validateDeployment,
  validateReplicaSet,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from './workloads.validation';

export interface KindValidator {
  /** Rule for metadata.name / generateName. */
  name: NameValidator;
  /** Spec rules on create (metadata already checked). */
  create: (obj: KubeObject) => StatusCause[];
  /** Full update rules including metadata; default: metadata update rules + create rules. */
  update?: (obj: KubeObject, old: KubeObject) => StatusCause[];
}

const none = (): StatusCause[] => [];

/** Create rules plus an immutable selector, as apps/v1 workloads have. */
function withImmutableSelector(
  create: (o: KubeObject) => StatusCause[],
): (o: KubeObject, old: KubeObject) => StatusCause[] {
  return (o, old) => [
    ...validateObjectMetaUpdate(o.metadata, old.metadata),
    ...create(o),
    ...selectorImmutable(o, old),
  ];
}

export const KIND_VALIDATORS: Record<string, KindValidator> = {
  '/Pod': { name: nameIsDnsSubdomain, create: (o) => validatePodSpec(o.spec, 'spec'), update: validatePodUpdate },
  '/Namespace': { name: nameIsDnsLabel, create: validateNamespace },
  '/ConfigMap': { name: nameIsDnsSubdomain, create: validateConfigMap, update: validateConfigMapUpdate },
  '/Secret': { name: nameIsDnsSubdomain, create: validateSecret, update: validateSecretUpdate },
  '/Service': { name: nameIsDns1035Label, create: validateService, update: validateServiceUpdate },
  '/Endpoints': { name: nameIsDnsSubdomain, create: validateEndpoints },
  '/Event': { name: nameIsDnsSubdomain, create: validateCoreEvent },
  '/ServiceAccount': { name: nameIsDnsSubdomain, create: none },
  '/Node': { name: nameIsDnsSubdomain, create: validateNode },
  '/PersistentVolume': { name: nameIsDnsSubdomain, create: validatePv, update: validatePvUpdate },
  '/PersistentVolumeClaim': { name: nameIsDnsSubdomain, create: validatePvc, update: validatePvcUpdate },
  '/ReplicationController': { name: nameIsDnsSubdomain, create: validateReplicationController },
  '/PodTemplate': { name: nameIsDnsSubdomain, create: validatePodTemplate, update: validatePodTemplateUpdate },
  '/ResourceQuota': { name: nameIsDnsSubdomain, create: validateResourceQuota, update: validateResourceQuotaUpdate },
  '/LimitRange': { name: nameIsDnsSubdomain, create: validateLimitRange },
  'apps/Deployment': {
    name: nameIsDnsSubdomain,
    create: validateDeployment,
    update: withImmutableSelector(validateDeployment),
  },
  'apps/ReplicaSet': {
    name: nameIsDnsSubdomain,
    create: validateReplicaSet,
    update: withImmutableSelector(validateReplicaSet),
  },
  'apps/StatefulSet': {
    name: nameIsDnsLabel, // pods are named <set>-<ordinal> and use it as their hostname
    create: validateStatefulSet,
    update: (o, old) => [...validateStatefulSetUpdate(o, old), ...selectorImmutable(o, old)],
  },
  'apps/DaemonSet': {
    name: nameIsDnsSubdomain,
    create: validateDaemonSet,
    update: withImmutableSelector(validateDaemonSet),
  },
  'apps/ControllerRevision': { name: nameIsDnsSubdomain, create: none },
  'batch/Job': { name: nameIsDnsSubdomain, create: validateJob, update: validateJobUpdate },
  'batch/CronJob': { name: nameIsDnsSubdomain, create: validateCronJob },
  'autoscaling/HorizontalPodAutoscaler': { name: nameIsDnsSubdomain, create: validateHpa },
  'policy/PodDisruptionBudget': { name: nameIsDnsSubdomain, create: validatePodDisruptionBudget },
  'networking.k8s.io/Ingress': { name: nameIsDnsSubdomain, create: validateIngress },
  'networking.k8s.io/IngressClass': {
    name: nameIsDnsSubdomain,
    create: validateIngressClass,
    update: validateIngressClassUpdate,
  },
  'networking.k8s.io/NetworkPolicy': {
    name: nameIsDnsSubdomain,
    create: validateNetworkPolicy,
    update: validateNetworkPolicyUpdate,
  },
  'discovery.k8s.io/EndpointSlice': {
    name: nameIsDnsSubdomain,
    create: validateEndpointSlice,
    update: validateEndpointSliceUpdate,
  },
  'scheduling.k8s.io/PriorityClass': {
    name: nameIsDnsSubdomain,
    create: validatePriorityClass,
    update: validatePriorityClassUpdate,
  },
  'storage.k8s.io/StorageClass': {
    name: nameIsDnsSubdomain,
    create: validateStorageClass,
    update: validateStorageClassUpdate,
  },
  'storage.k8s.io/CSIDriver': { name: nameIsDnsSubdomain, create: validateCsiDriver, update: validateCsiDriverUpdate },
  'storage.k8s.io/VolumeAttachment': {
    name: nameIsDnsSubdomain,
    create: validateVolumeAttachment,
    update: validateVolumeAttachmentUpdate,
  },
  'coordination.k8s.io/Lease': { name: nameIsDnsSubdomain, create: validateLease },
  'node.k8s.io/RuntimeClass': {
    name: nameIsDnsSubdomain,
    create: validateRuntimeClass,
    update: validateRuntimeClassUpdate,
  },
  'events.k8s.io/Event': { name: nameIsDnsSubdomain, create: validateEventsV1Event },
  'rbac.authorization.k8s.io/Role': { name: nameIsPathSegment, create: validateRole },
  'rbac.authorization.k8s.io/ClusterRole': { name: nameIsPathSegment, create: validateClusterRole },
  'rbac.authorization.k8s.io/RoleBinding': {
    name: nameIsPathSegment,
    create: validateRoleBinding,
    update: validateRoleBindingUpdate,
  },
  'rbac.authorization.k8s.io/ClusterRoleBinding': {
    name: nameIsPathSegment,
    create: validateClusterRoleBinding,
    update: validateClusterRoleBindingUpdate,
  },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    name: nameIsDnsSubdomain,
    create: validateCrd,
    update: (o, old) => [...validateObjectMetaUpdate(o.metadata, old.metadata), ...validateCrdUpdate(o, old)],
  },
};
