import { LocalObjectReference } from './core-v1-container.messages';
import { Pod, PodTemplate } from './core-v1-pod.messages';
import { ResourceQuota } from './core-v1-quota.messages';
import { ReplicationController } from './core-v1-replication-controller.messages';
import { PersistentVolumeClaim } from './core-v1-volume.messages';
import { bool, bytes, i32, intOrString, list, mapOf, MessageDef, msg, ptr, req, str, time } from './message-def';
import { Condition, ObjectMeta } from './meta-v1.messages';

// k8s.io/api/core/v1/generated.proto: the core kinds kubectl's generators create.

export const NamespaceSpec: MessageDef = {
  1: ['finalizers', list(str)],
};

export const NamespaceCondition: MessageDef = {
  1: ['type', req(str)],
  2: ['status', req(str)],
  4: ['lastTransitionTime', time],
  5: ['reason', str],
  6: ['message', str],
};

export const NamespaceStatus: MessageDef = {
  1: ['phase', str],
  2: ['conditions', list(msg(NamespaceCondition))],
};

export const Namespace: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(NamespaceSpec)],
  3: ['status', msg(NamespaceStatus)],
};

export const ConfigMap: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  4: ['immutable', ptr(bool)],
  2: ['data', mapOf(str)],
  3: ['binaryData', mapOf(bytes)],
};

export const Secret: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  5: ['immutable', ptr(bool)],
  2: ['data', mapOf(bytes)],
  4: ['stringData', mapOf(str)],
  3: ['type', str],
};

export const ObjectReference: MessageDef = {
  1: ['kind', str],
  2: ['namespace', str],
  3: ['name', str],
  4: ['uid', str],
  5: ['apiVersion', str],
  6: ['resourceVersion', str],
  7: ['fieldPath', str],
};

export const ServiceAccount: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['secrets', list(msg(ObjectReference))],
  3: ['imagePullSecrets', list(msg(LocalObjectReference))],
  4: ['automountServiceAccountToken', ptr(bool)],
};

export const ServicePort: MessageDef = {
  1: ['name', str],
  2: ['protocol', str],
  6: ['appProtocol', ptr(str)],
  3: ['port', req(i32)],
  4: ['targetPort', intOrString],
  5: ['nodePort', i32],
};

export const ClientIPConfig: MessageDef = {
  1: ['timeoutSeconds', ptr(i32)],
};

export const SessionAffinityConfig: MessageDef = {
  1: ['clientIP', msg(ClientIPConfig)],
};

export const ServiceSpec: MessageDef = {
  1: ['ports', list(msg(ServicePort))],
  2: ['selector', mapOf(str)],
  3: ['clusterIP', str],
  18: ['clusterIPs', list(str)],
  4: ['type', str],
  5: ['externalIPs', list(str)],
  7: ['sessionAffinity', str],
  8: ['loadBalancerIP', str],
  9: ['loadBalancerSourceRanges', list(str)],
  10: ['externalName', str],
  11: ['externalTrafficPolicy', str],
  12: ['healthCheckNodePort', i32],
  13: ['publishNotReadyAddresses', bool],
  14: ['sessionAffinityConfig', msg(SessionAffinityConfig)],
  19: ['ipFamilies', list(str)],
  17: ['ipFamilyPolicy', ptr(str)],
  20: ['allocateLoadBalancerNodePorts', ptr(bool)],
  21: ['loadBalancerClass', ptr(str)],
  22: ['internalTrafficPolicy', ptr(str)],
  23: ['trafficDistribution', ptr(str)],
};

export const PortStatus: MessageDef = {
  1: ['port', req(i32)],
  2: ['protocol', req(str)],
  3: ['error', ptr(str)],
};

export const LoadBalancerIngress: MessageDef = {
  1: ['ip', str],
  2: ['hostname', str],
  3: ['ipMode', ptr(str)],
  4: ['ports', list(msg(PortStatus))],
};

export const LoadBalancerStatus: MessageDef = {
  1: ['ingress', list(msg(LoadBalancerIngress))],
};

export const ServiceStatus: MessageDef = {
  1: ['loadBalancer', msg(LoadBalancerStatus)],
  2: ['conditions', list(msg(Condition))],
};

export const Service: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(ServiceSpec)],
  3: ['status', msg(ServiceStatus)],
};

export const CORE_V1_KINDS: Readonly<Record<string, MessageDef>> = {
  Namespace,
  ConfigMap,
  Secret,
  ServiceAccount,
  Service,
  Pod,
  PodTemplate,
  PersistentVolumeClaim,
  ResourceQuota,
  ReplicationController,
};
