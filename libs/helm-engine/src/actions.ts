import { errorMessage, KubeObject } from '@skiff/api-machinery';
import { KubeApiError, KubeClient } from '@skiff/kube-client';
import type { Chart } from './chart';
import { ClusterMapping, deleteObject, describeObject, isReady, liveObject, ReleaseObject } from './cluster';
import { releaseManifest, sortManifests, splitManifests } from './manifests';
import { HookEvent, Release, ReleaseHook, releaseChartOf } from './release';
import { ReleaseStore } from './release-store';
import { HelmRenderer, UserValues } from './renderer';
import { isMap, Json, PatchSchemas, threeWayStrategicPatch } from './strategic-patch';

/** The Helm version Skiff's engine stands for (`.Capabilities.HelmVersion`). */
export const HELM_VERSION = 'v3.16.0';

/** Helm's order for deleting a release's objects. */
const UNINSTALL_ORDER = [
  'APIService',
  'Ingress',
  'IngressClass',
  'Service',
  'CronJob',
  'Job',
  'StatefulSet',
  'HorizontalPodAutoscaler',
  'Deployment',
  'ReplicaSet',
  'ReplicationController',
  'Pod',
  'DaemonSet',
  'RoleBindingList',
  'RoleBinding',
  'RoleList',
  'Role',
  'ClusterRoleBindingList',
  'ClusterRoleBinding',
  'ClusterRoleList',
  'ClusterRole',
  'CustomResourceDefinition',
  'PersistentVolumeClaim',
  'PersistentVolume',
  'StorageClass',
  'ConfigMap',
  'SecretList',
  'Secret',
  'ServiceAccount',
  'PodDisruptionBudget',
  'PodSecurityPolicy',
  'LimitRange',
  'ResourceQuota',
  'NetworkPolicy',
  'Namespace',
  'PriorityClass',
];

const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const POLL_MS = 500;

export interface ActionContext {
  client: KubeClient;
  store: ReleaseStore;
  renderer: HelmRenderer;
  clock?: () => Date;
}

export interface InstallOptions {
  name: string;
  namespace: string;
  chart: Chart;
  values?: UserValues;
  readFile?: (path: string) => string;
  createNamespace?: boolean;
  /** Wait for the objects to be ready (Pods, Deployments, StatefulSets, Services, PVCs; Jobs with waitForJobs). */
  wait?: boolean;
  waitForJobs?: boolean;
  /** For hooks and --wait; Helm's default is 5 minutes. */
  timeoutMs?: number;
  /** A failed install is uninstalled. */
  atomic?: boolean;
  noHooks?: boolean;
  /** Render the revision against the cluster and return it, changing nothing (`--dry-run`). */
  dryRun?: boolean;
}

/** Helm's check of a release name. */
export function validateReleaseName(name: string): void {
  if (!RELEASE_NAME.test(name) || name.length > 53)
    throw new Error(
      `invalid release name, must match regex ${RELEASE_NAME.source} and the length must not be longer than 53`,
    );
}

/** `helm install`: CRDs first, then pre-install hooks, the objects, an optional wait, post-install hooks. */
export async function install(ctx: ActionContext, opts: InstallOptions): Promise<Release> {
  validateReleaseName(opts.name);
  const now = () => (ctx.clock ?? (() => new Date()))().toISOString();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  if (!opts.dryRun && (await ctx.store.history(opts.namespace, opts.name)).length > 0)
    throw new Error('cannot re-use a name that is still in use');
  if (opts.chart.metadata.type && opts.chart.metadata.type !== 'application')
    throw new Error(`${opts.chart.metadata.type} charts are not installable`);
  if (opts.createNamespace && !opts.dryRun) {
    try {
      await ctx.client
        .resource({ group: '', version: 'v1', resource: 'namespaces', namespaced: false })
        .create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: opts.namespace } });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
    }
  }
  let mapping = await ClusterMapping.read(ctx.client, HELM_VERSION);
  let out = await renderRevision(ctx, mapping, opts, 1, false);
  if (out.rendered.crds.length > 0 && !opts.dryRun) {
    mapping = await installCrds(ctx, mapping, out.rendered.crds, timeoutMs);
    out = await renderRevision(ctx, mapping, opts, 1, false);
  }
  const { rendered, hooks, manifests, notes } = out;
  const at = now();
  const rel: Release = {
    name: opts.name,
    info: {
      first_deployed: at,
      last_deployed: at,
      deleted: '',
      description: 'Initial install underway',
      status: 'pending-install',
      ...(notes ? { notes } : {}),
    },
    chart: releaseChartOf(opts.chart),
    config: rendered.config,
    manifest: releaseManifest(manifests),
    hooks,
    version: 1,
    namespace: opts.namespace,
  };
  if (opts.dryRun) return dryRunOf(rel);
  const objects = await releaseObjects(ctx.renderer, mapping, rel.manifest, opts.namespace);
  for (const o of objects) {
    if (await liveObject(ctx.client, o))
      throw new Error(
        `rendered manifests contain a resource that already exists. Unable to continue with install: ${describeObject(o)} exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "${opts.name}"; annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "${opts.namespace}"`,
      );
  }
  await ctx.store.create(rel);
  try {
    if (!opts.noHooks) await runHooks(ctx, mapping, rel, 'pre-install', timeoutMs, now);
    for (const o of objects)
      await ctx.client.resource(o.ref).create(o.namespace, owned(o.obj, opts.name, opts.namespace));
    if (opts.wait) await waitReady(ctx.client, objects, opts.waitForJobs ?? false, timeoutMs);
    if (!opts.noHooks) await runHooks(ctx, mapping, rel, 'post-install', timeoutMs, now);
  } catch (err) {
    const message = errorMessage(err);
    rel.info.status = 'failed';
    rel.info.description = `Release "${opts.name}" failed: ${message}`;
    rel.info.last_deployed = now();
    await ctx.store.update(rel);
    if (opts.atomic) {
      await uninstall(ctx, { name: opts.name, namespace: opts.namespace, timeoutMs });
      throw new Error(`release ${opts.name} failed, and has been uninstalled due to atomic being set: ${message}`);
    }
    throw err;
  }
  rel.info.status = 'deployed';
  rel.info.description = 'Install complete';
  await ctx.store.update(rel);
  return rel;
}

export interface UninstallOptions {
  name: string;
  namespace: string;
  keepHistory?: boolean;
  noHooks?: boolean;
  timeoutMs?: number;
}

/** `helm uninstall`: pre-delete hooks, the objects (but those marked to keep), post-delete hooks, the history. */
export async function uninstall(ctx: ActionContext, opts: UninstallOptions): Promise<string> {
  const now = () => (ctx.clock ?? (() => new Date()))().toISOString();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const history = await ctx.store.history(opts.namespace, opts.name);
  const rel = history.at(-1);
  if (!rel) throw new Error(`uninstall: Release not loaded: ${opts.name}: release: not found`);
  const purge = async () => {
    for (const r of history) await ctx.store.delete(r.namespace, r.name, r.version);
  };
  if (rel.info.status === 'uninstalled') {
    if (opts.keepHistory) throw new Error(`release "${opts.name}" is already uninstalled`);
    await purge();
    return `release "${opts.name}" uninstalled`;
  }
  const mapping = await ClusterMapping.read(ctx.client, HELM_VERSION);
  rel.info.status = 'uninstalling';
  rel.info.deleted = now();
  rel.info.description = 'Deletion in progress (or silently failed)';
  await ctx.store.update(rel);
  if (!opts.noHooks) await runHooks(ctx, mapping, rel, 'pre-delete', timeoutMs, now);
  const objects = (await releaseObjects(ctx.renderer, mapping, rel.manifest, rel.namespace, true)).filter(
    (o) => o.obj.metadata.annotations?.['helm.sh/resource-policy'] !== 'keep',
  );
  const order = (k: string | undefined) => {
    const i = UNINSTALL_ORDER.indexOf(k ?? '');
    return i < 0 ? UNINSTALL_ORDER.length : i;
  };
  for (const o of [...objects].sort((a, b) => order(a.obj.kind) - order(b.obj.kind))) await deleteObject(ctx.client, o);
  if (!opts.noHooks) await runHooks(ctx, mapping, rel, 'post-delete', timeoutMs, now);
  if (opts.keepHistory) {
    rel.info.status = 'uninstalled';
    rel.info.description = 'Uninstallation complete';
    await ctx.store.update(rel);
  } else await purge();
  return `release "${opts.name}" uninstalled`;
}

export interface UpgradeOptions extends Omit<InstallOptions, 'createNamespace'> {
  /** Install when the release has no history (`--install`). */
  install?: boolean;
  /** The last release's values under the new ones (`--reuse-values`). */
  reuseValues?: boolean;
}

/**
 * `helm upgrade`: the chart rendered as the next revision; pre-upgrade hooks, the changes (each object patched from
 * the last release's manifest, the new one and the live object; new ones created, dropped ones deleted), an optional
 * wait, post-upgrade hooks; the last deployed revision superseded.
 */
export async function upgrade(
  ctx: ActionContext,
  opts: UpgradeOptions,
): Promise<{ release: Release; installed: boolean }> {
  validateReleaseName(opts.name);
  const now = () => (ctx.clock ?? (() => new Date()))().toISOString();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const history = await ctx.store.history(opts.namespace, opts.name);
  const last = history.at(-1);
  if (!last) {
    if (!opts.install) throw new Error(`UPGRADE FAILED: "${opts.name}" has no deployed releases`);
    return { release: await install(ctx, opts), installed: true };
  }
  if (last.info.status.startsWith('pending-'))
    throw new Error('UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress');
  // As Helm: the deployed revision, else a failed or superseded last one; an uninstalled release is not upgraded.
  const current =
    [...history].reverse().find((r) => r.info.status === 'deployed') ??
    (last.info.status === 'failed' || last.info.status === 'superseded' ? last : undefined);
  if (!current) throw new Error(`UPGRADE FAILED: "${opts.name}" has no deployed releases`);
  const values: UserValues = {
    ...opts.values,
    files: [
      ...(opts.reuseValues ? [{ name: "the last release's values", text: JSON.stringify(last.config) }] : []),
      ...(opts.values?.files ?? []),
    ],
  };
  const mapping = await ClusterMapping.read(ctx.client, HELM_VERSION);
  const version = last.version + 1;
  const { rendered, hooks, manifests, notes } = await renderRevision(ctx, mapping, { ...opts, values }, version, true);
  const rel: Release = {
    name: opts.name,
    info: {
      first_deployed: history[0].info.first_deployed,
      last_deployed: now(),
      deleted: '',
      description: 'Preparing upgrade',
      status: 'pending-upgrade',
      ...(notes ? { notes } : {}),
    },
    chart: releaseChartOf(opts.chart),
    config: rendered.config,
    manifest: releaseManifest(manifests),
    hooks,
    version,
    namespace: opts.namespace,
  };
  if (opts.dryRun) return { release: dryRunOf(rel), installed: false };
  await ctx.store.create(rel);
  try {
    await applyRevision(ctx, mapping, current.manifest, rel, 'upgrade', { ...opts, timeoutMs }, now);
  } catch (err) {
    const message = errorMessage(err);
    rel.info.status = 'failed';
    rel.info.description = `Upgrade "${opts.name}" failed: ${message}`;
    await ctx.store.update(rel);
    if (opts.atomic) {
      await rollback(ctx, { name: opts.name, namespace: opts.namespace, version: current.version, timeoutMs });
      throw new Error(
        `UPGRADE FAILED: release ${opts.name} failed, and has been rolled back due to atomic being set: ${message}`,
      );
    }
    throw new Error(`UPGRADE FAILED: ${message}`);
  }
  await supersede(ctx, history);
  rel.info.status = 'deployed';
  rel.info.description = 'Upgrade complete';
  await ctx.store.update(rel);
  return { release: rel, installed: false };
}

/** A revision as `--dry-run` shows it: rendered, stored nowhere. */
function dryRunOf(rel: Release): Release {
  rel.info.description = 'Dry run complete';
  return rel;
}

export interface TestOptions {
  name: string;
  namespace: string;
  timeoutMs?: number;
}

/** `helm test`: the last revision's test hooks run (each recorded in the release), the first failure the error. */
export async function test(ctx: ActionContext, opts: TestOptions): Promise<Release> {
  const now = () => (ctx.clock ?? (() => new Date()))().toISOString();
  const rel = (await ctx.store.history(opts.namespace, opts.name)).at(-1);
  if (!rel) throw new Error(`release: not found`);
  const mapping = await ClusterMapping.read(ctx.client, HELM_VERSION);
  try {
    await runHooks(ctx, mapping, rel, 'test', opts.timeoutMs ?? 300_000, now);
  } finally {
    await ctx.store.update(rel);
  }
  return rel;
}

export interface RollbackOptions {
  name: string;
  namespace: string;
  /** The revision to go back to; the one before the last when not given. */
  version?: number;
  wait?: boolean;
  timeoutMs?: number;
  noHooks?: boolean;
}

/** `helm rollback`: a new revision with an earlier one's manifest, hooks and values, applied as an upgrade is. */
export async function rollback(ctx: ActionContext, opts: RollbackOptions): Promise<Release> {
  const now = () => (ctx.clock ?? (() => new Date()))().toISOString();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const history = await ctx.store.history(opts.namespace, opts.name);
  const last = history.at(-1);
  if (!last) throw new Error(`release: not found`);
  const wanted = opts.version ?? last.version - 1;
  const target = history.find((r) => r.version === wanted);
  if (!target) throw new Error(`release has no ${wanted} version`);
  const current = [...history].reverse().find((r) => r.info.status === 'deployed') ?? last;
  const mapping = await ClusterMapping.read(ctx.client, HELM_VERSION);
  const rel: Release = {
    ...target,
    info: {
      first_deployed: history[0].info.first_deployed,
      last_deployed: now(),
      deleted: '',
      description: `Rollback to ${target.version}`,
      status: 'pending-rollback',
      ...(target.info.notes ? { notes: target.info.notes } : {}),
    },
    hooks: (target.hooks ?? []).map((h) => ({ ...h, last_run: { started_at: '', completed_at: '', phase: '' } })),
    version: last.version + 1,
  };
  await ctx.store.create(rel);
  try {
    await applyRevision(ctx, mapping, current.manifest, rel, 'rollback', { ...opts, timeoutMs }, now);
  } catch (err) {
    rel.info.status = 'failed';
    rel.info.description = `Rollback "${opts.name}" failed: ${errorMessage(err)}`;
    await ctx.store.update(rel);
    throw err;
  }
  await supersede(ctx, history);
  rel.info.status = 'deployed';
  await ctx.store.update(rel);
  return rel;
}

/** A chart rendered as a revision of the release, its output sorted as Helm sorts it. */
async function renderRevision(
  ctx: ActionContext,
  mapping: ClusterMapping,
  opts: Pick<InstallOptions, 'chart' | 'values' | 'readFile' | 'name' | 'namespace'>,
  revision: number,
  isUpgrade: boolean,
) {
  const rendered = await ctx.renderer.render({
    chart: opts.chart,
    values: opts.values,
    readFile: opts.readFile,
    release: {
      Name: opts.name,
      Namespace: opts.namespace,
      IsInstall: !isUpgrade,
      IsUpgrade: isUpgrade,
      Revision: revision,
      Service: 'Helm',
    },
    capabilities: mapping.capabilities,
    lookup: (apiVersion, kind, namespace, name) => lookup(ctx.client, mapping, apiVersion, kind, namespace, name),
  });
  const { hooks, manifests } = await sortManifests(rendered.manifests);
  return { rendered, hooks, manifests, notes: rendered.manifests[`${opts.chart.metadata.name}/templates/NOTES.txt`] };
}

/** An upgrade's or a rollback's work: its pre hooks, the changes from the last manifest, the wait, its post hooks. */
async function applyRevision(
  ctx: ActionContext,
  mapping: ClusterMapping,
  from: string,
  rel: Release,
  kind: 'upgrade' | 'rollback',
  opts: { wait?: boolean; waitForJobs?: boolean; noHooks?: boolean; timeoutMs: number },
  now: () => string,
): Promise<void> {
  if (!opts.noHooks) await runHooks(ctx, mapping, rel, `pre-${kind}`, opts.timeoutMs, now);
  const objects = await applyChanges(ctx, mapping, from, rel.manifest, rel.namespace, rel.name);
  if (opts.wait) await waitReady(ctx.client, objects, opts.waitForJobs ?? false, opts.timeoutMs);
  if (!opts.noHooks) await runHooks(ctx, mapping, rel, `post-${kind}`, opts.timeoutMs, now);
}

/** Every deployed revision of a history becomes superseded. */
async function supersede(ctx: ActionContext, history: Release[]): Promise<void> {
  for (const r of history.filter((x) => x.info.status === 'deployed')) {
    r.info.status = 'superseded';
    await ctx.store.update(r);
  }
}

/**
 * From one manifest to the next, as Helm's upgrade: each object of the next is created, or patched with a three-way
 * patch (what the last manifest set and the next drops is removed; what the next sets and the live object differs
 * in is set): a strategic merge patch for built-in kinds, a JSON merge patch for custom resources. Objects only the
 * last one had are deleted (but those marked to keep). Resolves the next's objects.
 */
async function applyChanges(
  ctx: ActionContext,
  mapping: ClusterMapping,
  from: string,
  to: string,
  namespace: string,
  name: string,
): Promise<ReleaseObject[]> {
  const key = (o: ReleaseObject) => `${o.ref.group}/${o.obj.kind}/${o.namespace ?? ''}/${o.obj.metadata.name}`;
  const before = new Map((await releaseObjects(ctx.renderer, mapping, from, namespace, true)).map((o) => [key(o), o]));
  const after = await releaseObjects(ctx.renderer, mapping, to, namespace);
  let schemas: PatchSchemas | undefined;
  for (const o of after) {
    const target = owned(o.obj, name, namespace);
    const live = await liveObject(ctx.client, o);
    if (!live) {
      await ctx.client.resource(o.ref).create(o.namespace, target);
      continue;
    }
    const original = before.get(key(o));
    if (!original && live.metadata.annotations?.['meta.helm.sh/release-name'] !== name)
      throw new Error(
        `rendered manifests contain a resource that already exists. Unable to continue with update: ${describeObject(o)} exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "${name}"`,
      );
    const from = original ? owned(original.obj, name, namespace) : {};
    schemas ??= await PatchSchemas.read(ctx.client);
    const schema = schemas.forKind(target.apiVersion!, target.kind!);
    const patch = schema
      ? threeWayStrategicPatch(schemas, schema, from, target, live)
      : threeWayMergePatch(from, target, live);
    if (Object.keys(patch).length > 0)
      await ctx.client.resource(o.ref).patch(o.namespace, o.obj.metadata.name!, patch, schema ? 'strategic' : 'merge');
  }
  const kept = new Set(after.map(key));
  for (const [k, o] of before)
    if (!kept.has(k) && o.obj.metadata.annotations?.['helm.sh/resource-policy'] !== 'keep')
      await deleteObject(ctx.client, o);
  return after;
}

/** A JSON merge patch from `current` to `modified` that also removes what `original` had and `modified` dropped. */
export function threeWayMergePatch(original: Json, modified: Json, current: Json): Json {
  const patch: Json = {};
  for (const k of Object.keys(original)) if (!(k in modified)) patch[k] = null;
  for (const [k, m] of Object.entries(modified)) {
    const c = current[k];
    if (isMap(m) && isMap(c)) {
      const sub = threeWayMergePatch(isMap(original[k]) ? (original[k] as Json) : {}, m, c);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (JSON.stringify(m) !== JSON.stringify(c)) patch[k] = m;
  }
  return patch;
}

/** The objects of a manifest, each with its resource and namespace (`lenient`: kinds no longer served are skipped). */
async function releaseObjects(
  renderer: HelmRenderer,
  mapping: ClusterMapping,
  manifest: string,
  namespace: string,
  lenient = false,
): Promise<ReleaseObject[]> {
  const out: ReleaseObject[] = [];
  for (const doc of splitManifests(manifest)) {
    const obj = renderer.yamlToJson(doc) as KubeObject | null;
    if (!obj?.kind) continue;
    let ref;
    try {
      ref = mapping.resourceOf(obj);
    } catch (err) {
      if (lenient) continue;
      throw err;
    }
    obj.metadata ??= {};
    out.push({ obj, ref, namespace: ref.namespaced ? (obj.metadata.namespace ?? namespace) : undefined });
  }
  return out;
}

/** The labels and annotations by which Helm knows an object is the release's. */
function owned(obj: KubeObject, name: string, namespace: string): KubeObject {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: { ...obj.metadata.labels, 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: {
        ...obj.metadata.annotations,
        'meta.helm.sh/release-name': name,
        'meta.helm.sh/release-namespace': namespace,
      },
    },
  };
}

/** `lookup` against the cluster: the object (or, with no name, the list); nothing for a kind it does not serve. */
async function lookup(
  client: KubeClient,
  mapping: ClusterMapping,
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): Promise<Record<string, unknown> | undefined> {
  let ref;
  try {
    ref = mapping.resourceOf({ apiVersion, kind, metadata: { name } });
  } catch {
    return undefined;
  }
  const resource = client.resource(ref);
  const ns = ref.namespaced && namespace ? namespace : undefined;
  try {
    return name ? await resource.get(ns, name) : ((await resource.list(ns)) as unknown as Record<string, unknown>);
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** CRDs of the chart that are not there yet, created; then discovery is read until it serves their kinds. */
async function installCrds(
  ctx: ActionContext,
  mapping: ClusterMapping,
  crds: { name: string; text: string }[],
  timeoutMs: number,
): Promise<ClusterMapping> {
  const crdClient = ctx.client.resource({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    namespaced: false,
  });
  const kinds: KubeObject[] = [];
  for (const file of crds)
    for (const doc of splitManifests(file.text)) {
      const crd = ctx.renderer.yamlToJson(doc) as KubeObject | null;
      if (!crd?.kind) continue;
      try {
        await crdClient.create(undefined, crd);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      }
      const spec = crd.spec as {
        group: string;
        names: { kind: string };
        versions: { name: string; served?: boolean }[];
      };
      for (const v of spec.versions.filter((x) => x.served !== false))
        kinds.push({ apiVersion: `${spec.group}/${v.name}`, kind: spec.names.kind, metadata: {} });
    }
  const deadline = Date.now() + timeoutMs;
  for (let next = mapping; ;) {
    if (kinds.every((k) => next.capabilities.apiVersions.includes(`${k.apiVersion}/${k.kind}`))) return next;
    if (Date.now() > deadline) throw new Error('timed out waiting for the CRDs to be served');
    await sleep(POLL_MS);
    next = await ClusterMapping.read(ctx.client, HELM_VERSION);
  }
}

/**
 * A release's hooks of one event, by weight then name: each made (after deleting an old one, the default policy),
 * a Job waited for until complete and a Pod until it succeeds; the hook-succeeded ones deleted once all succeeded.
 */
async function runHooks(
  ctx: ActionContext,
  mapping: ClusterMapping,
  rel: Release,
  event: HookEvent,
  timeoutMs: number,
  now: () => string,
): Promise<void> {
  const hooks = (rel.hooks ?? [])
    .filter((h) => h.events.includes(event))
    .sort((a, b) => a.weight - b.weight || a.name.localeCompare(b.name));
  const policies = (h: ReleaseHook) => (h.delete_policies.length ? h.delete_policies : ['before-hook-creation']);
  const objects = new Map<ReleaseHook, ReleaseObject>();
  for (const h of hooks) {
    const [o] = await releaseObjects(ctx.renderer, mapping, h.manifest, rel.namespace);
    if (!o) continue;
    objects.set(h, o);
    if (policies(h).includes('before-hook-creation')) await deleteAndWait(ctx.client, o, timeoutMs);
    h.last_run = { started_at: now(), completed_at: '', phase: 'Running' };
    await ctx.client.resource(o.ref).create(o.namespace, o.obj);
    try {
      await waitHook(ctx.client, o, timeoutMs);
    } catch (err) {
      h.last_run = { ...h.last_run, completed_at: now(), phase: 'Failed' };
      if (policies(h).includes('hook-failed')) await deleteObject(ctx.client, o);
      throw new Error(`failed ${event}: ${errorMessage(err)}`);
    }
    h.last_run = { ...h.last_run, completed_at: now(), phase: 'Succeeded' };
  }
  for (const [h, o] of objects) if (policies(h).includes('hook-succeeded')) await deleteObject(ctx.client, o);
}

async function waitHook(client: KubeClient, o: ReleaseObject, timeoutMs: number): Promise<void> {
  if (o.obj.kind !== 'Job' && o.obj.kind !== 'Pod') return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await liveObject(client, o);
    const status = (live?.status ?? {}) as {
      phase?: string;
      conditions?: { type: string; status: string; reason?: string }[];
    };
    if (o.obj.kind === 'Job') {
      if (status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) return;
      const failed = status.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed) throw new Error(`job ${o.obj.metadata.name} failed: ${failed.reason ?? 'Failed'}`);
    } else {
      if (status.phase === 'Succeeded') return;
      if (status.phase === 'Failed') throw new Error(`pod ${o.obj.metadata.name} failed`);
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await sleep(POLL_MS);
  }
}

async function deleteAndWait(client: KubeClient, o: ReleaseObject, timeoutMs: number): Promise<void> {
  if (!(await liveObject(client, o))) return;
  await deleteObject(client, o);
  const deadline = Date.now() + timeoutMs;
  while (await liveObject(client, o)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describeObject(o)} to be deleted`);
    await sleep(POLL_MS);
  }
}

async function waitReady(client: KubeClient, objects: ReleaseObject[], waitForJobs: boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (const o of objects)
    for (;;) {
      const live = await liveObject(client, o);
      if (live && isReady(live, waitForJobs)) break;
      if (Date.now() > deadline) throw new Error('context deadline exceeded');
      await sleep(POLL_MS);
    }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
