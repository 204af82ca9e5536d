import { LocalObjectReference, ObjectFieldSelector, ResourceFieldSelector } from './core-v1-container.messages';
import { bool, i32, i64, inline, list, mapOf, MessageDef, msg, ptr, quantity, req, str } from './message-def';
import { LabelSelector, ObjectMeta } from './meta-v1.messages';

// k8s.io/api/core/v1/generated.proto: volumes and persistent volume claims.
// Only the common volume sources are listed; the rest are skipped as unknown fields.

export const TypedLocalObjectReference: MessageDef = {
  1: ['apiGroup', ptr(str)],
  2: ['kind', req(str)],
  3: ['name', req(str)],
};

export const TypedObjectReference: MessageDef = {
  1: ['apiGroup', ptr(str)],
  2: ['kind', req(str)],
  3: ['name', req(str)],
  4: ['namespace', ptr(str)],
};

export const VolumeResourceRequirements: MessageDef = {
  1: ['limits', mapOf(quantity)],
  2: ['requests', mapOf(quantity)],
};

export const PersistentVolumeClaimSpec: MessageDef = {
  1: ['accessModes', list(str)],
  4: ['selector', msg(LabelSelector)],
  2: ['resources', msg(VolumeResourceRequirements)],
  3: ['volumeName', str],
  5: ['storageClassName', ptr(str)],
  6: ['volumeMode', ptr(str)],
  7: ['dataSource', msg(TypedLocalObjectReference)],
  8: ['dataSourceRef', msg(TypedObjectReference)],
  9: ['volumeAttributesClassName', ptr(str)],
};

// Conditions and resize status are skipped: no client sends them.
export const PersistentVolumeClaimStatus: MessageDef = {
  1: ['phase', str],
  2: ['accessModes', list(str)],
  3: ['capacity', mapOf(quantity)],
  5: ['allocatedResources', mapOf(quantity)],
  7: ['allocatedResourceStatuses', mapOf(str)],
  8: ['currentVolumeAttributesClassName', ptr(str)],
};

export const PersistentVolumeClaim: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(PersistentVolumeClaimSpec)],
  3: ['status', msg(PersistentVolumeClaimStatus)],
};

export const PersistentVolumeClaimTemplate: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(PersistentVolumeClaimSpec)],
};

export const KeyToPath: MessageDef = {
  1: ['key', req(str)],
  2: ['path', req(str)],
  3: ['mode', ptr(i32)],
};

export const HostPathVolumeSource: MessageDef = {
  1: ['path', req(str)],
  2: ['type', ptr(str)],
};

export const EmptyDirVolumeSource: MessageDef = {
  1: ['medium', str],
  2: ['sizeLimit', quantity],
};

export const SecretVolumeSource: MessageDef = {
  1: ['secretName', str],
  2: ['items', list(msg(KeyToPath))],
  3: ['defaultMode', ptr(i32)],
  4: ['optional', ptr(bool)],
};

export const ConfigMapVolumeSource: MessageDef = {
  1: inline(LocalObjectReference),
  2: ['items', list(msg(KeyToPath))],
  3: ['defaultMode', ptr(i32)],
  4: ['optional', ptr(bool)],
};

export const NFSVolumeSource: MessageDef = {
  1: ['server', req(str)],
  2: ['path', req(str)],
  3: ['readOnly', bool],
};

export const PersistentVolumeClaimVolumeSource: MessageDef = {
  1: ['claimName', req(str)],
  2: ['readOnly', bool],
};

export const DownwardAPIVolumeFile: MessageDef = {
  1: ['path', req(str)],
  2: ['fieldRef', msg(ObjectFieldSelector)],
  3: ['resourceFieldRef', msg(ResourceFieldSelector)],
  4: ['mode', ptr(i32)],
};

export const DownwardAPIVolumeSource: MessageDef = {
  1: ['items', list(msg(DownwardAPIVolumeFile))],
  2: ['defaultMode', ptr(i32)],
};

export const SecretProjection: MessageDef = {
  1: inline(LocalObjectReference),
  2: ['items', list(msg(KeyToPath))],
  4: ['optional', ptr(bool)],
};

export const ConfigMapProjection: MessageDef = {
  1: inline(LocalObjectReference),
  2: ['items', list(msg(KeyToPath))],
  4: ['optional', ptr(bool)],
};

export const DownwardAPIProjection: MessageDef = {
  1: ['items', list(msg(DownwardAPIVolumeFile))],
};

export const ServiceAccountTokenProjection: MessageDef = {
  1: ['audience', str],
  2: ['expirationSeconds', ptr(i64)],
  3: ['path', req(str)],
};

export const ClusterTrustBundleProjection: MessageDef = {
  1: ['name', ptr(str)],
  2: ['signerName', ptr(str)],
  3: ['labelSelector', msg(LabelSelector)],
  5: ['optional', ptr(bool)],
  4: ['path', req(str)],
};

export const PodCertificateProjection: MessageDef = {
  1: ['signerName', str],
  2: ['keyType', str],
  3: ['maxExpirationSeconds', ptr(i32)],
  4: ['credentialBundlePath', str],
  5: ['keyPath', str],
  6: ['certificateChainPath', str],
  7: ['userAnnotations', mapOf(str)],
};

export const VolumeProjection: MessageDef = {
  1: ['secret', msg(SecretProjection)],
  2: ['downwardAPI', msg(DownwardAPIProjection)],
  3: ['configMap', msg(ConfigMapProjection)],
  4: ['serviceAccountToken', msg(ServiceAccountTokenProjection)],
  5: ['clusterTrustBundle', msg(ClusterTrustBundleProjection)],
  6: ['podCertificate', msg(PodCertificateProjection)],
};

export const ProjectedVolumeSource: MessageDef = {
  1: ['sources', list(msg(VolumeProjection))],
  2: ['defaultMode', ptr(i32)],
};

export const CSIVolumeSource: MessageDef = {
  1: ['driver', req(str)],
  2: ['readOnly', ptr(bool)],
  3: ['fsType', ptr(str)],
  4: ['volumeAttributes', mapOf(str)],
  5: ['nodePublishSecretRef', msg(LocalObjectReference)],
};

export const EphemeralVolumeSource: MessageDef = {
  1: ['volumeClaimTemplate', msg(PersistentVolumeClaimTemplate)],
};

export const ImageVolumeSource: MessageDef = {
  1: ['reference', str],
  2: ['pullPolicy', str],
};

export const VolumeSource: MessageDef = {
  1: ['hostPath', msg(HostPathVolumeSource)],
  2: ['emptyDir', msg(EmptyDirVolumeSource)],
  6: ['secret', msg(SecretVolumeSource)],
  7: ['nfs', msg(NFSVolumeSource)],
  10: ['persistentVolumeClaim', msg(PersistentVolumeClaimVolumeSource)],
  16: ['downwardAPI', msg(DownwardAPIVolumeSource)],
  19: ['configMap', msg(ConfigMapVolumeSource)],
  26: ['projected', msg(ProjectedVolumeSource)],
  28: ['csi', msg(CSIVolumeSource)],
  29: ['ephemeral', msg(EphemeralVolumeSource)],
  30: ['image', msg(ImageVolumeSource)],
};

export const Volume: MessageDef = {
  1: ['name', req(str)],
  2: inline(VolumeSource),
};
