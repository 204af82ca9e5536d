import {
  AppArmorProfile,
  Container,
  LocalObjectReference,
  ResourceRequirements,
  SeccompProfile,
  SELinuxOptions,
  WindowsSecurityContextOptions,
} from './core-v1-container.messages';
import { Volume } from './core-v1-volume.messages';
import { bool, i32, i64, inline, list, mapOf, MessageDef, msg, ptr, quantity, req, str, time } from './message-def';
import { LabelSelector, ObjectMeta } from './meta-v1.messages';

// k8s.io/api/core/v1/generated.proto: Pod, PodSpec and PodTemplateSpec.

export const EphemeralContainer: MessageDef = {
  // EphemeralContainerCommon has Container's field numbers and JSON names.
  1: inline(Container),
  2: ['targetContainerName', str],
};

export const Sysctl: MessageDef = {
  1: ['name', req(str)],
  2: ['value', req(str)],
};

export const PodSecurityContext: MessageDef = {
  1: ['seLinuxOptions', msg(SELinuxOptions)],
  8: ['windowsOptions', msg(WindowsSecurityContextOptions)],
  2: ['runAsUser', ptr(i64)],
  6: ['runAsGroup', ptr(i64)],
  3: ['runAsNonRoot', ptr(bool)],
  4: ['supplementalGroups', list(i64)],
  12: ['supplementalGroupsPolicy', ptr(str)],
  5: ['fsGroup', ptr(i64)],
  7: ['sysctls', list(msg(Sysctl))],
  9: ['fsGroupChangePolicy', ptr(str)],
  10: ['seccompProfile', msg(SeccompProfile)],
  11: ['appArmorProfile', msg(AppArmorProfile)],
  13: ['seLinuxChangePolicy', ptr(str)],
};

export const NodeSelectorRequirement: MessageDef = {
  1: ['key', req(str)],
  2: ['operator', req(str)],
  3: ['values', list(str)],
};

export const NodeSelectorTerm: MessageDef = {
  1: ['matchExpressions', list(msg(NodeSelectorRequirement))],
  2: ['matchFields', list(msg(NodeSelectorRequirement))],
};

export const NodeSelector: MessageDef = {
  1: ['nodeSelectorTerms', list(msg(NodeSelectorTerm))],
};

export const PreferredSchedulingTerm: MessageDef = {
  1: ['weight', req(i32)],
  2: ['preference', msg(NodeSelectorTerm)],
};

export const NodeAffinity: MessageDef = {
  1: ['requiredDuringSchedulingIgnoredDuringExecution', msg(NodeSelector)],
  2: ['preferredDuringSchedulingIgnoredDuringExecution', list(msg(PreferredSchedulingTerm))],
};

export const PodAffinityTerm: MessageDef = {
  1: ['labelSelector', msg(LabelSelector)],
  2: ['namespaces', list(str)],
  3: ['topologyKey', req(str)],
  4: ['namespaceSelector', msg(LabelSelector)],
  5: ['matchLabelKeys', list(str)],
  6: ['mismatchLabelKeys', list(str)],
};

export const WeightedPodAffinityTerm: MessageDef = {
  1: ['weight', req(i32)],
  2: ['podAffinityTerm', msg(PodAffinityTerm)],
};

// PodAffinity and PodAntiAffinity share one shape.
export const PodAffinity: MessageDef = {
  1: ['requiredDuringSchedulingIgnoredDuringExecution', list(msg(PodAffinityTerm))],
  2: ['preferredDuringSchedulingIgnoredDuringExecution', list(msg(WeightedPodAffinityTerm))],
};

export const Affinity: MessageDef = {
  1: ['nodeAffinity', msg(NodeAffinity)],
  2: ['podAffinity', msg(PodAffinity)],
  3: ['podAntiAffinity', msg(PodAffinity)],
};

export const Toleration: MessageDef = {
  1: ['key', str],
  2: ['operator', str],
  3: ['value', str],
  4: ['effect', str],
  5: ['tolerationSeconds', ptr(i64)],
};

export const HostAlias: MessageDef = {
  1: ['ip', req(str)],
  2: ['hostnames', list(str)],
};

export const PodDNSConfigOption: MessageDef = {
  1: ['name', str],
  2: ['value', ptr(str)],
};

export const PodDNSConfig: MessageDef = {
  1: ['nameservers', list(str)],
  2: ['searches', list(str)],
  3: ['options', list(msg(PodDNSConfigOption))],
};

export const PodReadinessGate: MessageDef = {
  1: ['conditionType', req(str)],
};

export const TopologySpreadConstraint: MessageDef = {
  1: ['maxSkew', req(i32)],
  2: ['topologyKey', req(str)],
  3: ['whenUnsatisfiable', req(str)],
  4: ['labelSelector', msg(LabelSelector)],
  5: ['minDomains', ptr(i32)],
  6: ['nodeAffinityPolicy', ptr(str)],
  7: ['nodeTaintsPolicy', ptr(str)],
  8: ['matchLabelKeys', list(str)],
};

export const PodOS: MessageDef = {
  1: ['name', req(str)],
};

export const PodSchedulingGate: MessageDef = {
  1: ['name', req(str)],
};

export const PodResourceClaim: MessageDef = {
  1: ['name', req(str)],
  3: ['resourceClaimName', ptr(str)],
  4: ['resourceClaimTemplateName', ptr(str)],
};

export const PodSpec: MessageDef = {
  1: ['volumes', list(msg(Volume))],
  20: ['initContainers', list(msg(Container))],
  2: ['containers', list(msg(Container))],
  34: ['ephemeralContainers', list(msg(EphemeralContainer))],
  3: ['restartPolicy', str],
  4: ['terminationGracePeriodSeconds', ptr(i64)],
  5: ['activeDeadlineSeconds', ptr(i64)],
  6: ['dnsPolicy', str],
  7: ['nodeSelector', mapOf(str)],
  8: ['serviceAccountName', str],
  9: ['serviceAccount', str],
  21: ['automountServiceAccountToken', ptr(bool)],
  10: ['nodeName', str],
  11: ['hostNetwork', bool],
  12: ['hostPID', bool],
  13: ['hostIPC', bool],
  27: ['shareProcessNamespace', ptr(bool)],
  14: ['securityContext', msg(PodSecurityContext)],
  15: ['imagePullSecrets', list(msg(LocalObjectReference))],
  16: ['hostname', str],
  17: ['subdomain', str],
  18: ['affinity', msg(Affinity)],
  19: ['schedulerName', str],
  22: ['tolerations', list(msg(Toleration))],
  23: ['hostAliases', list(msg(HostAlias))],
  24: ['priorityClassName', str],
  25: ['priority', ptr(i32)],
  26: ['dnsConfig', msg(PodDNSConfig)],
  28: ['readinessGates', list(msg(PodReadinessGate))],
  29: ['runtimeClassName', ptr(str)],
  30: ['enableServiceLinks', ptr(bool)],
  31: ['preemptionPolicy', ptr(str)],
  32: ['overhead', mapOf(quantity)],
  33: ['topologySpreadConstraints', list(msg(TopologySpreadConstraint))],
  35: ['setHostnameAsFQDN', ptr(bool)],
  36: ['os', msg(PodOS)],
  37: ['hostUsers', ptr(bool)],
  38: ['schedulingGates', list(msg(PodSchedulingGate))],
  39: ['resourceClaims', list(msg(PodResourceClaim))],
  40: ['resources', msg(ResourceRequirements)],
  41: ['hostnameOverride', ptr(str)],
};

export const PodCondition: MessageDef = {
  1: ['type', req(str)],
  7: ['observedGeneration', i64],
  2: ['status', req(str)],
  3: ['lastProbeTime', time],
  4: ['lastTransitionTime', time],
  5: ['reason', str],
  6: ['message', str],
};

export const PodIP: MessageDef = {
  1: ['ip', req(str)],
};

// Container statuses are skipped: only the kubelet writes them.
export const PodStatus: MessageDef = {
  17: ['observedGeneration', i64],
  1: ['phase', str],
  2: ['conditions', list(msg(PodCondition))],
  3: ['message', str],
  4: ['reason', str],
  11: ['nominatedNodeName', str],
  5: ['hostIP', str],
  16: ['hostIPs', list(msg(PodIP))],
  6: ['podIP', str],
  12: ['podIPs', list(msg(PodIP))],
  7: ['startTime', time],
  9: ['qosClass', str],
  14: ['resize', str],
};

export const Pod: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(PodSpec)],
  3: ['status', msg(PodStatus)],
};

export const PodTemplateSpec: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(PodSpec)],
};

export const PodTemplate: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['template', msg(PodTemplateSpec)],
};
