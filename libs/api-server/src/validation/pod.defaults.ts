// Pod spec defaulting as pkg/apis/core/v1/defaults.go does it (SetDefaults_PodSpec, _Container, _Probe, _Volume …).
import { arrAt, ensureObj, objAt, setIfUnset, strAt, type Obj } from './json-access';
import { VOLUME_SOURCES } from './pod-volumes.validation';
import { defaultImagePullPolicy } from '@skiff/api-machinery';

const DEFAULT_FILE_MODE = 0o644; // 420

function defaultHandler(h: Obj | undefined): void {
  const http = objAt(h?.httpGet);
  if (http) {
    setIfUnset(http, 'path', '/');
    setIfUnset(http, 'scheme', 'HTTP');
  }
}

function defaultProbe(p: unknown): void {
  const probe = objAt(p);
  if (!probe) return;
  setIfUnset(probe, 'timeoutSeconds', 1);
  setIfUnset(probe, 'periodSeconds', 10);
  setIfUnset(probe, 'successThreshold', 1);
  setIfUnset(probe, 'failureThreshold', 3);
  defaultHandler(probe);
}

function defaultFieldRef(ref: unknown): void {
  const r = objAt(ref);
  if (r) setIfUnset(r, 'apiVersion', 'v1');
}

function defaultContainer(raw: unknown, hostNetwork: boolean): void {
  const c = objAt(raw);
  if (!c) return;
  const image = strAt(c.image);
  if (image && c.imagePullPolicy === undefined) c.imagePullPolicy = defaultImagePullPolicy(image);
  setIfUnset(c, 'terminationMessagePath', '/dev/termination-log');
  setIfUnset(c, 'terminationMessagePolicy', 'File');
  for (const p of arrAt(c.ports)) {
    const port = objAt(p);
    if (!port) continue;
    setIfUnset(port, 'protocol', 'TCP');
    if (hostNetwork && port.hostPort === undefined) port.hostPort = port.containerPort;
  }
  for (const e of arrAt(c.env)) defaultFieldRef(objAt(objAt(e)?.valueFrom)?.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lifecycle = objAt(c.lifecycle);
  defaultHandler(objAt(lifecycle?.postStart));
  defaultHandler(objAt(lifecycle?.preStop));
  // SetDefaults_Pod: a limit without a request becomes the request.
  const resources = objAt(c.resources);
  const limits = objAt(resources?.limits);
  if (resources && limits && Object.keys(limits).length) {
    const requests = ensureObj(resources, 'requests');
    for (const [k, v] of Object.entries(limits)) setIfUnset(requests, k, v);
  }
}

function defaultVolume(raw: unknown): void {
  const v = objAt(raw);
  if (!v) return;
  if (!VOLUME_SOURCES.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  for (const src of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    const s = objAt(v[src]);
    if (s) setIfUnset(s, 'defaultMode', DEFAULT_FILE_MODE);
  }
  for (const item of arrAt(objAt(v.downwardAPI)?.items)) defaultFieldRef(objAt(item)?.fieldRef);
  for (const source of arrAt(objAt(v.projected)?.sources)) {
    for (const item of arrAt(objAt(objAt(source)?.downwardAPI)?.items)) defaultFieldRef(objAt(item)?.fieldRef);
    const sat = objAt(objAt(source)?.serviceAccountToken);
    if (sat) setIfUnset(sat, 'expirationSeconds', 3600);
  }
  const hostPath = objAt(v.hostPath);
  if (hostPath) setIfUnset(hostPath, 'type', '');
}

/** `SetDefaults_PodSpec` and everything nested in it; mutates `spec`. */
export function defaultPodSpec(spec: Obj): void {
  setIfUnset(spec, 'dnsPolicy', 'ClusterFirst');
  setIfUnset(spec, 'restartPolicy', 'Always');
  setIfUnset(spec, 'terminationGracePeriodSeconds', 30);
  setIfUnset(spec, 'schedulerName', 'default-scheduler');
  setIfUnset(spec, 'securityContext', {});
  setIfUnset(spec, 'enableServiceLinks', true);
  const hostNetwork = spec.hostNetwork === true;
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of arrAt(spec[list])) defaultContainer(c, hostNetwork && list !== 'ephemeralContainers');
  }
  for (const v of arrAt(spec.volumes)) defaultVolume(v);
  // The service account admission plugin fills these for pods; templates get them too in practice.
  if (strAt(spec.serviceAccountName) === undefined && strAt(spec.serviceAccount) !== undefined)
    spec.serviceAccountName = spec.serviceAccount;
}

/** Defaults a whole Pod: the spec plus what the Priority admission plugin sets. */
export function defaultPod(pod: Obj): void {
  const spec = ensureObj(pod, 'spec');
  defaultPodSpec(spec);
  if (spec.priorityClassName === undefined) setIfUnset(spec, 'priority', 0);
  setIfUnset(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  if (spec.serviceAccountName === undefined) spec.serviceAccountName = 'default';
  if (spec.serviceAccount === undefined) spec.serviceAccount = spec.serviceAccountName;
  // PrepareForCreate starts every pod Pending.
  setIfUnset(ensureObj(pod, 'status'), 'phase', 'Pending');
}

/** Defaults a pod template (metadata untouched) in place. */
export function defaultPodTemplate(tpl: Obj | undefined): void {
  if (!tpl) return;
  defaultPodSpec(ensureObj(tpl, 'spec'));
}
