import { ResourceRef } from '@skiff/kube-client';

/** The resources controllers read and write, with the kind and apiVersion their objects carry. */
export interface KindRef extends ResourceRef {
  kind: string;
  apiVersion: string;
}

function ref(group: string, version: string, resource: string, kind: string, namespaced = true): KindRef {
  return { group, version, resource, namespaced, kind, apiVersion: group ? `${group}/${version}` : version };
}

export const PODS = ref('', 'v1', 'pods', 'Pod');
export const NAMESPACES = ref('', 'v1', 'namespaces', 'Namespace', false);
export const NODES = ref('', 'v1', 'nodes', 'Node', false);
export const RUNTIME_CLASSES = ref('node.k8s.io', 'v1', 'runtimeclasses', 'RuntimeClass', false);
export const PERSISTENT_VOLUME_CLAIMS = ref('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim');
export const REPLICATION_CONTROLLERS = ref('', 'v1', 'replicationcontrollers', 'ReplicationController');
export const REPLICA_SETS = ref('apps', 'v1', 'replicasets', 'ReplicaSet');
export const DEPLOYMENTS = ref('apps', 'v1', 'deployments', 'Deployment');
export const STATEFUL_SETS = ref('apps', 'v1', 'statefulsets', 'StatefulSet');
export const CONTROLLER_REVISIONS = ref('apps', 'v1', 'controllerrevisions', 'ControllerRevision');
export const JOBS = ref('batch', 'v1', 'jobs', 'Job');
export const CRON_JOBS = ref('batch', 'v1', 'cronjobs', 'CronJob');
export const POD_DISRUPTION_BUDGETS = ref('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget');
export const SERVICES = ref('', 'v1', 'services', 'Service');
export const ENDPOINTS = ref('', 'v1', 'endpoints', 'Endpoints');
export const ENDPOINT_SLICES = ref('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice');
export const LEASES = ref('coordination.k8s.io', 'v1', 'leases', 'Lease');
export const INGRESSES = ref('networking.k8s.io', 'v1', 'ingresses', 'Ingress');
export const NETWORK_POLICIES = ref('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy');
export const INGRESS_CLASSES = ref('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false);
export const SECRETS = ref('', 'v1', 'secrets', 'Secret');
export const SERVICE_ACCOUNTS = ref('', 'v1', 'serviceaccounts', 'ServiceAccount');
export const CONFIG_MAPS = ref('', 'v1', 'configmaps', 'ConfigMap');
export const RESOURCE_QUOTAS = ref('', 'v1', 'resourcequotas', 'ResourceQuota');
export const CLUSTER_ROLES = ref('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false);
export const CUSTOM_RESOURCE_DEFINITIONS = ref(
  'apiextensions.k8s.io',
  'v1',
  'customresourcedefinitions',
  'CustomResourceDefinition',
  false,
);
/** Skiff's elastic IPs (network-svc installs the CRD). */
export const ELASTIC_IPS = ref('network.skiff.io', 'v1alpha1', 'elasticips', 'ElasticIP', false);
/** Skiff's logstores (log-svc installs the CRD). */
export const LOGSTORES = ref('logs.skiff.io', 'v1', 'logstores', 'Logstore');
export const PERSISTENT_VOLUMES = ref('', 'v1', 'persistentvolumes', 'PersistentVolume', false);
export const STORAGE_CLASSES = ref('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false);
export const VOLUME_ATTACHMENTS = ref('storage.k8s.io', 'v1', 'volumeattachments', 'VolumeAttachment', false);
export const HORIZONTAL_POD_AUTOSCALERS = ref(
  'autoscaling',
  'v2',
  'horizontalpodautoscalers',
  'HorizontalPodAutoscaler',
);
/** ASK's CronHPA (the scheduler installs the CRD). */
export const CRON_HORIZONTAL_POD_AUTOSCALERS = ref(
  'autoscaling.alibabacloud.com',
  'v1beta1',
  'cronhorizontalpodautoscalers',
  'CronHorizontalPodAutoscaler',
);
/** Flux's HelmRepository and HelmRelease shapes, served by the scheduler's catalog (docs/charts.md). */
export const HELM_REPOSITORIES = ref('source.toolkit.fluxcd.io', 'v1', 'helmrepositories', 'HelmRepository');
export const HELM_RELEASES = ref('helm.toolkit.fluxcd.io', 'v2', 'helmreleases', 'HelmRelease');
