// Typed Kubernetes objects (kubernetes-models, which tracks upstream's OpenAPI), as they travel
// through the API: a kind's metadata is always there and is the API machinery's ObjectMeta.
import type { ObjectMeta } from '@skiff/api-machinery';
import type { IPod as PodModel } from 'kubernetes-models/v1/Pod';
import type { IPodSpec as PodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IPodStatus as PodStatusModel } from 'kubernetes-models/v1/PodStatus';
import type { IPodCondition as PodConditionModel } from 'kubernetes-models/v1/PodCondition';
import type { IPodTemplateSpec as PodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IPodTemplate as PodTemplateModel } from 'kubernetes-models/v1/PodTemplate';
import type { IContainer as Container } from 'kubernetes-models/v1/Container';
import type { IEphemeralContainer as EphemeralContainer } from 'kubernetes-models/v1/EphemeralContainer';
import type { IContainerPort as ContainerPort } from 'kubernetes-models/v1/ContainerPort';
import type { IContainerStatus as ContainerStatus } from 'kubernetes-models/v1/ContainerStatus';
import type { IContainerState as ContainerState } from 'kubernetes-models/v1/ContainerState';
import type { IContainerStateWaiting as ContainerStateWaiting } from 'kubernetes-models/v1/ContainerStateWaiting';
import type { IContainerStateRunning as ContainerStateRunning } from 'kubernetes-models/v1/ContainerStateRunning';
import type { IContainerStateTerminated as ContainerStateTerminated } from 'kubernetes-models/v1/ContainerStateTerminated';
import type { IEnvVar as EnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IEnvFromSource as EnvFromSource } from 'kubernetes-models/v1/EnvFromSource';
import type { IEnvVarSource as EnvVarSource } from 'kubernetes-models/v1/EnvVarSource';
import type { IVolumeMount as VolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { IVolume as Volume } from 'kubernetes-models/v1/Volume';
import type { IKeyToPath as KeyToPath } from 'kubernetes-models/v1/KeyToPath';
import type { IConfigMapVolumeSource as ConfigMapVolumeSource } from 'kubernetes-models/v1/ConfigMapVolumeSource';
import type { ISecretVolumeSource as SecretVolumeSource } from 'kubernetes-models/v1/SecretVolumeSource';
import type { IDownwardAPIVolumeFile as DownwardAPIVolumeFile } from 'kubernetes-models/v1/DownwardAPIVolumeFile';
import type { IDownwardAPIVolumeSource as DownwardAPIVolumeSource } from 'kubernetes-models/v1/DownwardAPIVolumeSource';
import type { IProjectedVolumeSource as ProjectedVolumeSource } from 'kubernetes-models/v1/ProjectedVolumeSource';
import type { IVolumeProjection as VolumeProjection } from 'kubernetes-models/v1/VolumeProjection';
import type { IObjectFieldSelector as ObjectFieldSelector } from 'kubernetes-models/v1/ObjectFieldSelector';
import type { IResourceFieldSelector as ResourceFieldSelector } from 'kubernetes-models/v1/ResourceFieldSelector';
import type { IConfigMapKeySelector as ConfigMapKeySelector } from 'kubernetes-models/v1/ConfigMapKeySelector';
import type { ISecretKeySelector as SecretKeySelector } from 'kubernetes-models/v1/SecretKeySelector';
import type { IProbe as Probe } from 'kubernetes-models/v1/Probe';
import type { IHTTPGetAction as HTTPGetAction } from 'kubernetes-models/v1/HTTPGetAction';
import type { ITCPSocketAction as TCPSocketAction } from 'kubernetes-models/v1/TCPSocketAction';
import type { IExecAction as ExecAction } from 'kubernetes-models/v1/ExecAction';
import type { ILifecycleHandler as LifecycleHandler } from 'kubernetes-models/v1/LifecycleHandler';
import type { ILifecycle as Lifecycle } from 'kubernetes-models/v1/Lifecycle';
import type { IResourceRequirements as ResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { ISecurityContext as SecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IToleration as Toleration } from 'kubernetes-models/v1/Toleration';
import type { INodeSelectorRequirement as NodeSelectorRequirement } from 'kubernetes-models/v1/NodeSelectorRequirement';
import type { INode as NodeModel } from 'kubernetes-models/v1/Node';
import type { INodeStatus as NodeStatus } from 'kubernetes-models/v1/NodeStatus';
import type { INodeCondition as NodeCondition } from 'kubernetes-models/v1/NodeCondition';
import type { INamespace as NamespaceModel } from 'kubernetes-models/v1/Namespace';
import type { IConfigMap as ConfigMapModel } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret as SecretModel } from 'kubernetes-models/v1/Secret';
import type { IService as ServiceModel } from 'kubernetes-models/v1/Service';
import type { IServiceSpec as ServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import type { IServicePort as ServicePort } from 'kubernetes-models/v1/ServicePort';
import type { IEndpoints as EndpointsModel } from 'kubernetes-models/v1/Endpoints';
import type { IEndpointSubset as EndpointSubset } from 'kubernetes-models/v1/EndpointSubset';
import type { IEndpointAddress as EndpointAddress } from 'kubernetes-models/v1/EndpointAddress';
import type { IEndpointPort as EndpointPort } from 'kubernetes-models/v1/EndpointPort';
import type { IEvent as EventModel } from 'kubernetes-models/v1/Event';
import type { IServiceAccount as ServiceAccountModel } from 'kubernetes-models/v1/ServiceAccount';
import type { IPersistentVolume as PersistentVolumeModel } from 'kubernetes-models/v1/PersistentVolume';
import type { IPersistentVolumeSpec as PersistentVolumeSpec } from 'kubernetes-models/v1/PersistentVolumeSpec';
import type { IPersistentVolumeClaim as PersistentVolumeClaimModel } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPersistentVolumeClaimSpec as PersistentVolumeClaimSpec } from 'kubernetes-models/v1/PersistentVolumeClaimSpec';
import type { IResourceQuota as ResourceQuotaModel } from 'kubernetes-models/v1/ResourceQuota';
import type { ILimitRange as LimitRangeModel } from 'kubernetes-models/v1/LimitRange';
import type { IReplicationController as ReplicationControllerModel } from 'kubernetes-models/v1/ReplicationController';
import type { IObjectReference as ObjectReference } from 'kubernetes-models/v1/ObjectReference';
import type { ILocalObjectReference as LocalObjectReference } from 'kubernetes-models/v1/LocalObjectReference';
import type { IDeployment as DeploymentModel } from 'kubernetes-models/apps/v1/Deployment';
import type { IDeploymentSpec as DeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { IDeploymentStatus as DeploymentStatus } from 'kubernetes-models/apps/v1/DeploymentStatus';
import type { IDeploymentCondition as DeploymentCondition } from 'kubernetes-models/apps/v1/DeploymentCondition';
import type { IReplicaSet as ReplicaSetModel } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IReplicaSetSpec as ReplicaSetSpec } from 'kubernetes-models/apps/v1/ReplicaSetSpec';
import type { IReplicaSetStatus as ReplicaSetStatus } from 'kubernetes-models/apps/v1/ReplicaSetStatus';
import type { IStatefulSet as StatefulSetModel } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IStatefulSetSpec as StatefulSetSpec } from 'kubernetes-models/apps/v1/StatefulSetSpec';
import type { IStatefulSetStatus as StatefulSetStatus } from 'kubernetes-models/apps/v1/StatefulSetStatus';
import type { IDaemonSet as DaemonSetModel } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IControllerRevision as ControllerRevisionModel } from 'kubernetes-models/apps/v1/ControllerRevision';
import type { IJob as JobModel } from 'kubernetes-models/batch/v1/Job';
import type { IJobSpec as JobSpec } from 'kubernetes-models/batch/v1/JobSpec';
import type { IJobStatus as JobStatus } from 'kubernetes-models/batch/v1/JobStatus';
import type { IJobCondition as JobCondition } from 'kubernetes-models/batch/v1/JobCondition';
import type { ICronJob as CronJobModel } from 'kubernetes-models/batch/v1/CronJob';
import type { ICronJobSpec as CronJobSpec } from 'kubernetes-models/batch/v1/CronJobSpec';
import type { ICronJobStatus as CronJobStatus } from 'kubernetes-models/batch/v1/CronJobStatus';
import type { IIngress as IngressModel } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IIngressClass as IngressClassModel } from 'kubernetes-models/networking.k8s.io/v1/IngressClass';
import type { INetworkPolicy as NetworkPolicyModel } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IStorageClass as StorageClassModel } from 'kubernetes-models/storage.k8s.io/v1/StorageClass';
import type { ICSIDriver as CSIDriverModel } from 'kubernetes-models/storage.k8s.io/v1/CSIDriver';
import type { IVolumeAttachment as VolumeAttachmentModel } from 'kubernetes-models/storage.k8s.io/v1/VolumeAttachment';
import type { IPodDisruptionBudget as PodDisruptionBudgetModel } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IPodDisruptionBudgetSpec as PodDisruptionBudgetSpec } from 'kubernetes-models/policy/v1/PodDisruptionBudgetSpec';
import type { IPodDisruptionBudgetStatus as PodDisruptionBudgetStatus } from 'kubernetes-models/policy/v1/PodDisruptionBudgetStatus';
import type { IEviction as EvictionModel } from 'kubernetes-models/policy/v1/Eviction';
import type { IHorizontalPodAutoscaler as HorizontalPodAutoscalerModel } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IHorizontalPodAutoscalerSpec as HorizontalPodAutoscalerSpec } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerSpec';
import type { IHorizontalPodAutoscalerStatus as HorizontalPodAutoscalerStatus } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerStatus';
import type { IMetricSpec as MetricSpec } from 'kubernetes-models/autoscaling/v2/MetricSpec';
import type { IMetricStatus as MetricStatus } from 'kubernetes-models/autoscaling/v2/MetricStatus';
import type { IRole as RoleModel } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IClusterRole as ClusterRoleModel } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IRoleBinding as RoleBindingModel } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IClusterRoleBinding as ClusterRoleBindingModel } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IPolicyRule as PolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import type { ISubject as Subject } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Subject';
import type { IRoleRef as RoleRef } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleRef';
import type { ILease as LeaseModel } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import type { ILeaseSpec as LeaseSpec } from 'kubernetes-models/coordination.k8s.io/v1/LeaseSpec';
import type { IEndpointSlice as EndpointSliceModel } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import type { IEndpoint as Endpoint } from 'kubernetes-models/discovery.k8s.io/v1/Endpoint';
import type { IEndpointConditions as EndpointConditions } from 'kubernetes-models/discovery.k8s.io/v1/EndpointConditions';
import type { IRuntimeClass as RuntimeClassModel } from 'kubernetes-models/node.k8s.io/v1/RuntimeClass';
import type { IPriorityClass as PriorityClassModel } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';

/**
 * A kind as the API server stores and serves it: metadata always present (the API machinery's
 * ObjectMeta), and the spec too for kinds that have one (validation requires it, defaults fill it).
 */
export type Stored<T extends { metadata?: unknown }> = Omit<T, 'metadata' | 'apiVersion' | 'kind' | 'spec'> & {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
} & ('spec' extends keyof T ? { spec: NonNullable<T['spec']> } : unknown);

export type PodTemplate = Stored<PodTemplateModel>;
export type Node = Stored<NodeModel>;
export type Namespace = Stored<NamespaceModel>;
export type ConfigMap = Stored<ConfigMapModel>;
export type Secret = Stored<SecretModel>;
export type Service = Stored<ServiceModel>;
export type Endpoints = Stored<EndpointsModel>;
export type Event = Stored<EventModel>;
export type ServiceAccount = Stored<ServiceAccountModel>;
export type PersistentVolume = Stored<PersistentVolumeModel>;
export type PersistentVolumeClaim = Stored<PersistentVolumeClaimModel>;
export type ResourceQuota = Stored<ResourceQuotaModel>;
export type LimitRange = Stored<LimitRangeModel>;
export type ReplicationController = Stored<ReplicationControllerModel>;
export type Deployment = Stored<DeploymentModel>;
export type ReplicaSet = Stored<ReplicaSetModel>;
export type StatefulSet = Stored<StatefulSetModel>;
export type DaemonSet = Stored<DaemonSetModel>;
export type ControllerRevision = Stored<ControllerRevisionModel>;
export type Job = Stored<JobModel>;
export type CronJob = Stored<CronJobModel>;
export type Ingress = Stored<IngressModel>;
export type IngressClass = Stored<IngressClassModel>;
export type NetworkPolicy = Stored<NetworkPolicyModel>;
export type StorageClass = Stored<StorageClassModel>;
export type CSIDriver = Stored<CSIDriverModel>;
export type VolumeAttachment = Stored<VolumeAttachmentModel>;
export type PodDisruptionBudget = Stored<PodDisruptionBudgetModel>;
export type Eviction = Stored<EvictionModel>;
export type HorizontalPodAutoscaler = Stored<HorizontalPodAutoscalerModel>;
export type Role = Stored<RoleModel>;
export type ClusterRole = Stored<ClusterRoleModel>;
export type RoleBinding = Stored<RoleBindingModel>;
export type ClusterRoleBinding = Stored<ClusterRoleBindingModel>;
export type Lease = Stored<LeaseModel>;
export type EndpointSlice = Stored<EndpointSliceModel>;
export type RuntimeClass = Stored<RuntimeClassModel>;
export type PriorityClass = Stored<PriorityClassModel>;

export type {
  PodSpec,
  PodTemplateSpec,
  Container,
  EphemeralContainer,
  ContainerPort,
  ContainerStatus,
  ContainerState,
  ContainerStateWaiting,
  ContainerStateRunning,
  ContainerStateTerminated,
  EnvVar,
  EnvFromSource,
  EnvVarSource,
  VolumeMount,
  Volume,
  KeyToPath,
  ConfigMapVolumeSource,
  SecretVolumeSource,
  DownwardAPIVolumeFile,
  DownwardAPIVolumeSource,
  ProjectedVolumeSource,
  VolumeProjection,
  ObjectFieldSelector,
  ResourceFieldSelector,
  ConfigMapKeySelector,
  SecretKeySelector,
  Probe,
  HTTPGetAction,
  TCPSocketAction,
  ExecAction,
  LifecycleHandler,
  Lifecycle,
  ResourceRequirements,
  SecurityContext,
  Toleration,
  NodeSelectorRequirement,
  NodeStatus,
  NodeCondition,
  ServiceSpec,
  ServicePort,
  EndpointSubset,
  EndpointAddress,
  EndpointPort,
  PersistentVolumeSpec,
  PersistentVolumeClaimSpec,
  ObjectReference,
  LocalObjectReference,
  DeploymentSpec,
  DeploymentStatus,
  DeploymentCondition,
  ReplicaSetSpec,
  ReplicaSetStatus,
  StatefulSetSpec,
  StatefulSetStatus,
  JobSpec,
  JobStatus,
  JobCondition,
  CronJobSpec,
  CronJobStatus,
  PodDisruptionBudgetSpec,
  PodDisruptionBudgetStatus,
  HorizontalPodAutoscalerSpec,
  HorizontalPodAutoscalerStatus,
  MetricSpec,
  MetricStatus,
  PolicyRule,
  Subject,
  RoleRef,
  LeaseSpec,
  Endpoint,
  EndpointConditions,
};

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
/** What probes and lifecycle hooks run: one of exec, httpGet, tcpSocket. */
export type ProbeHandler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket'>;

// Go writes a zero metav1.Time as null (kubelet's `lastProbeTime: null`); the wire shape says so.
export type PodCondition = Omit<PodConditionModel, 'lastProbeTime'> & { lastProbeTime?: string | null };
export type PodStatus = Omit<PodStatusModel, 'conditions'> & { conditions?: PodCondition[] };
export type Pod = Omit<Stored<PodModel>, 'status'> & { status?: PodStatus };
