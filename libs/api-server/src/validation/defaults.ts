// applyDefaults: what upstream's pkg/apis/*/v1/defaults.go (and a few REST strategies) fill in.
import { defaultBinding } from './rbac.validation';
import { defaultCrd } from '../apiextensions/crd.validation';
import { defaultCustomResource } from '../apiextensions/custom-resource.validation';
import type { KubeObject } from '@skiff/api-machinery';
import type { ResourceType } from '../resources/resource-types';
import { defaultCsiDriver } from './csi.validation';
import { defaultEndpointSlice } from './discovery.validation';
import { arrAt, cloneJson, ensureObj, objAt, setIfUnset, strAt, type Obj } from './json-access';
import { defaultNetworkPolicy } from './network-policy.validation';
import { defaultPod, defaultPodTemplate } from './pod.defaults';
import { defaultPriorityClass } from './scheduling.validation';

function defaultServicePorts(spec: Obj): void {
  for (const raw of arrAt(spec.ports)) {
    const p = objAt(raw);
    if (!p) continue;
    setIfUnset(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '')
      p.targetPort = p.port;
  }
}

function defaultService(svc: Obj): void {
  const spec = ensureObj(svc, 'spec');
  setIfUnset(spec, 'type', 'ClusterIP');
  setIfUnset(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = ensureObj(ensureObj(spec, 'sessionAffinityConfig'), 'clientIP');
    setIfUnset(cfg, 'timeoutSeconds', 10800);
  }
  defaultServicePorts(spec);
  if (spec.type === 'ExternalName') return;
  setIfUnset(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') setIfUnset(spec, 'externalTrafficPolicy', 'Cluster');
  // Skiff load balancers reach pods directly: no node ports are allocated (upstream defaults to true).
  if (spec.type === 'LoadBalancer') setIfUnset(spec, 'allocateLoadBalancerNodePorts', false);
  setIfUnset(spec, 'ipFamilyPolicy', 'SingleStack');
  setIfUnset(spec, 'ipFamilies', ['IPv4']);
}

function defaultDeployment(d: Obj): void {
  const spec = ensureObj(d, 'spec');
  setIfUnset(spec, 'replicas', 1);
  const strategy = ensureObj(spec, 'strategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    setIfUnset(ru, 'maxUnavailable', '25%');
    setIfUnset(ru, 'maxSurge', '25%');
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  setIfUnset(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(objAt(spec.template));
}

function defaultStatefulSet(s: Obj): void {
  const spec = ensureObj(s, 'spec');
  setIfUnset(spec, 'replicas', 1);
  setIfUnset(spec, 'podManagementPolicy', 'OrderedReady');
  const us = ensureObj(spec, 'updateStrategy');
  if (us.type === undefined) {
    us.type = 'RollingUpdate';
    setIfUnset(us, 'rollingUpdate', {});
  }
  const ru = objAt(us.rollingUpdate);
  if (us.type === 'RollingUpdate' && ru) setIfUnset(ru, 'partition', 0);
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  const retention = ensureObj(spec, 'persistentVolumeClaimRetentionPolicy');
  setIfUnset(retention, 'whenDeleted', 'Retain');
  setIfUnset(retention, 'whenScaled', 'Retain');
  for (const pvc of arrAt(spec.volumeClaimTemplates)) {
    const o = objAt(pvc);
    if (o) defaultPvc(o, false);
  }
  defaultPodTemplate(objAt(spec.template));
}

function defaultDaemonSet(d: Obj): void {
  const spec = ensureObj(d, 'spec');
  const us = ensureObj(spec, 'updateStrategy');
  setIfUnset(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = ensureObj(us, 'rollingUpdate');
    setIfUnset(ru, 'maxUnavailable', 1);
    setIfUnset(ru, 'maxSurge', 0);
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(objAt(spec.template));
}

// SetDefaults_ReplicationController: an empty selector and empty labels take the template's labels.
function defaultReplicationController(rc: Obj): void {
  const spec = ensureObj(rc, 'spec');
  const labels = objAt(objAt(objAt(spec.template)?.metadata)?.labels);
  if (labels) {
    if (Object.keys(objAt(spec.selector) ?? {}).length === 0) spec.selector = cloneJson(labels);
    const meta = ensureObj(rc, 'metadata');
    if (Object.keys(objAt(meta.labels) ?? {}).length === 0) meta.labels = cloneJson(labels);
  }
  setIfUnset(spec, 'replicas', 1);
  defaultPodTemplate(objAt(spec.template));
}

function defaultJob(job: Obj): void {
  const spec = ensureObj(job, 'spec');
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setIfUnset(spec, 'parallelism', 1);
  setIfUnset(spec, 'completionMode', 'NonIndexed');
  const indexedPerIndex = spec.completionMode === 'Indexed' && spec.backoffLimitPerIndex != null;
  setIfUnset(spec, 'backoffLimit', indexedPerIndex ? 2147483647 : 6);
  setIfUnset(spec, 'suspend', false);
  setIfUnset(spec, 'podReplacementPolicy', spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed');
  const tpl = objAt(spec.template);
  const tplLabels = objAt(objAt(tpl?.metadata)?.labels);
  const meta = ensureObj(job, 'metadata');
  if (tplLabels && Object.keys(objAt(meta.labels) ?? {}).length === 0) meta.labels = cloneJson(tplLabels);
  defaultPodTemplate(tpl);
}

function defaultCronJob(cj: Obj): void {
  const spec = ensureObj(cj, 'spec');
  setIfUnset(spec, 'concurrencyPolicy', 'Allow');
  setIfUnset(spec, 'suspend', false);
  setIfUnset(spec, 'successfulJobsHistoryLimit', 3);
  setIfUnset(spec, 'failedJobsHistoryLimit', 1);
  defaultPodTemplate(objAt(objAt(objAt(spec.jobTemplate)?.spec)?.template));
}

function defaultHpa(hpa: Obj): void {
  const spec = ensureObj(hpa, 'spec');
  setIfUnset(spec, 'minReplicas', 1);
  if (arrAt(spec.metrics).length === 0) {
    spec.metrics = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ];
  }
  // Behavior rules are filled only when a behavior is given; scaleDown's window stays unset (the controller's 300 s).
  const behavior = objAt(spec.behavior);
  if (!behavior) return;
  const up = ensureObj(behavior, 'scaleUp');
  setIfUnset(up, 'stabilizationWindowSeconds', 0);
  setIfUnset(up, 'selectPolicy', 'Max');
  // An empty list is defaulted too (upstream tests len(policies) == 0).
  if (arrAt(up.policies).length === 0)
    up.policies = [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ];
  const down = ensureObj(behavior, 'scaleDown');
  setIfUnset(down, 'selectPolicy', 'Max');
  if (arrAt(down.policies).length === 0) down.policies = [{ type: 'Percent', value: 100, periodSeconds: 15 }];
}

function defaultPvc(pvc: Obj, withStatus: boolean): void {
  const spec = ensureObj(pvc, 'spec');
  setIfUnset(spec, 'volumeMode', 'Filesystem');
  if (withStatus) setIfUnset(ensureObj(pvc, 'status'), 'phase', 'Pending');
}

function defaultSecret(secret: Obj): void {
  setIfUnset(secret, 'type', 'Opaque');
  // Upstream converts stringData at the REST layer; it overrides data and never gets stored.
  const stringData = objAt(secret.stringData);
  if (stringData) {
    const data = ensureObj(secret, 'data');
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(strAt(v) ?? '', 'utf8').toString('base64');
  }
  delete secret.stringData;
}

const DEFAULTERS: Record<string, (o: Obj) => void> = {
  '/Pod': defaultPod,
  '/PodTemplate': (o) => defaultPodTemplate(objAt(o.template)),
  '/ReplicationController': defaultReplicationController,
  '/Service': defaultService,
  '/Endpoints': (o) => {
    for (const subset of arrAt(o.subsets))
      for (const p of arrAt(objAt(subset)?.ports)) if (objAt(p)) setIfUnset(objAt(p) as Obj, 'protocol', 'TCP');
  },
  '/Namespace': (o) => {
    setIfUnset(ensureObj(o, 'spec'), 'finalizers', ['kubernetes']);
    setIfUnset(ensureObj(o, 'status'), 'phase', 'Active');
  },
  '/Secret': defaultSecret,
  '/PersistentVolumeClaim': (o) => defaultPvc(o, true),
  '/PersistentVolume': (o) => {
    const spec = ensureObj(o, 'spec');
    setIfUnset(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setIfUnset(spec, 'volumeMode', 'Filesystem');
    setIfUnset(ensureObj(o, 'status'), 'phase', 'Pending');
  },
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': (o) => {
    setIfUnset(ensureObj(o, 'spec'), 'replicas', 1);
    defaultPodTemplate(objAt(ensureObj(o, 'spec').template));
  },
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'autoscaling/HorizontalPodAutoscaler': defaultHpa,
  'apiextensions.k8s.io/CustomResourceDefinition': defaultCrd,
  'networking.k8s.io/NetworkPolicy': defaultNetworkPolicy,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
  'scheduling.k8s.io/PriorityClass': defaultPriorityClass,
  'storage.k8s.io/CSIDriver': defaultCsiDriver,
  'rbac.authorization.k8s.io/RoleBinding': defaultBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultBinding,
  'storage.k8s.io/StorageClass': (o) => {
    setIfUnset(o, 'reclaimPolicy', 'Delete');
    setIfUnset(o, 'volumeBindingMode', 'Immediate');
  },
};

/** Returns a defaulted copy of `obj` (custom resources: pruned and defaulted by schema); the input is not modified. */
export function applyDefaults(type: Pick<ResourceType, 'group' | 'kind' | 'custom'>, obj: KubeObject): KubeObject {
  if (type.custom) return defaultCustomResource(type.custom, obj);
  const copy = cloneJson(obj);
  copy.metadata ??= {};
  DEFAULTERS[`${type.group}/${type.kind}`]?.(copy as Obj);
  return copy;
}
