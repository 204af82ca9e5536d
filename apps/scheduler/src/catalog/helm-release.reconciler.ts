import { Inject, Injectable } from '@nestjs/common';
import { errorMessage, KubeObject } from '@skiff/api-machinery';
import {
  Controller,
  ControllerContext,
  HELM_RELEASES,
  HELM_REPOSITORIES,
  Informer,
  objectKey,
  ReconcileResult,
  splitKey,
} from '@skiff/controller-runtime';
import {
  ActionContext,
  Chart,
  chartUrl,
  digestOf,
  fetchIndex,
  findChartVersion,
  HelmRenderer,
  httpGet,
  install,
  loadChart,
  pullOciChart,
  Release,
  ReleaseStore,
  rollback,
  test,
  uninstall,
  upgrade,
  UserValues,
} from '@skiff/helm-engine';
import { isNotFound, KubeClient } from '@skiff/kube-client';
import { HELM_CLIENT } from '../platform/scheduler.providers';
import {
  Condition,
  durationMs,
  HelmRelease,
  HelmReleaseStatus,
  HelmRepository,
  Remediation,
  setCondition,
  Snapshot,
} from './catalog-objects';

/** Flux's finalizer: a HelmRelease being deleted uninstalls its release first. */
export const HELM_FINALIZER = 'finalizers.fluxcd.io';
const RETRY_MS = 5_000;
const HISTORY_KEPT = 5;

type Action = 'install' | 'upgrade';

/**
 * Flux's helm-controller over Skiff's Helm engine (docs/charts.md): a HelmRelease's chart is fetched from its
 * HelmRepository at the asked version, its values composed (valuesFrom, then values), and the release installed or,
 * when the chart version or values changed, upgraded; a failure is remediated as spec.install/upgrade.remediation
 * say (uninstall, or roll back to the last deployed revision); deleting the HelmRelease uninstalls the release.
 * Helm actions run as the helm-controller identity; status.conditions (Ready, Released, Remediated, TestSuccess) and
 * status.history say what happened.
 */
@Injectable()
export class HelmReleaseReconciler implements Controller {
  readonly name = 'helmrelease-controller';
  readonly workers = 3;
  private releases!: Informer<HelmRelease>;
  private repositories!: Informer<HelmRepository>;

  constructor(@Inject(HELM_CLIENT) private readonly helmClient: KubeClient) {}

  begin(ctx: ControllerContext): void {
    this.releases = ctx.informers.get<HelmRelease>(HELM_RELEASES);
    this.repositories = ctx.informers.get<HelmRepository>(HELM_REPOSITORIES);
    this.releases.on('add', (r) => ctx.enqueue(objectKey(r)));
    this.releases.on('update', (r, old) => {
      if (r.metadata.generation !== old?.metadata.generation || r.metadata.deletionTimestamp) ctx.enqueue(objectKey(r));
    });
    // A repository that became ready, or whose index changed, is looked at again by the releases it serves.
    const repositoryChanged = (repo: HelmRepository) => {
      for (const hr of this.releases.list())
        if (
          hr.spec.chart.spec.sourceRef.name === repo.metadata.name &&
          (hr.spec.chart.spec.sourceRef.namespace ?? hr.metadata.namespace) === repo.metadata.namespace
        )
          ctx.enqueue(objectKey(hr));
    };
    this.repositories.on('add', repositoryChanged);
    this.repositories.on('update', (repo, old) => {
      if (JSON.stringify(repo.status) !== JSON.stringify(old?.status)) repositoryChanged(repo);
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    if (!this.releases.get(namespace, name)) return;
    // Read afresh: what the last attempt was is in the status this controller wrote, which the cache may not have yet.
    let hr: HelmRelease;
    try {
      hr = await ctx.client.resource<HelmRelease>(HELM_RELEASES).get(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const helm = await this.actionContext();
    const target = { namespace: hr.spec.targetNamespace ?? namespace, name: releaseNameOf(hr) };
    if (hr.metadata.deletionTimestamp) {
      if (!hr.metadata.finalizers?.includes(HELM_FINALIZER)) return;
      if ((await helm.store.history(target.namespace, target.name)).length > 0)
        await uninstall(helm, {
          ...target,
          keepHistory: hr.spec.uninstall?.keepHistory,
          noHooks: hr.spec.uninstall?.disableHooks,
          timeoutMs: durationMs(hr.spec.timeout, 300_000),
        });
      await this.setFinalizers(
        ctx,
        hr,
        (hr.metadata.finalizers ?? []).filter((f) => f !== HELM_FINALIZER),
      );
      return;
    }
    if (hr.spec.suspend) return;
    if (!hr.metadata.finalizers?.includes(HELM_FINALIZER))
      await this.setFinalizers(ctx, hr, [...(hr.metadata.finalizers ?? []), HELM_FINALIZER]);
    const interval = durationMs(hr.spec.interval, 600_000);
    const status: HelmReleaseStatus = { ...hr.status };
    const now = () => new Date().toISOString();
    const set = (c: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>) =>
      (status.conditions = setCondition(
        status.conditions,
        { ...c, observedGeneration: hr.metadata.generation },
        now(),
      ));
    const fail = async (reason: string, message: string, retryMs?: number) => {
      set({ type: 'Ready', status: 'False', reason, message });
      await this.writeStatus(ctx, hr, status);
      return retryMs === undefined ? undefined : { requeueAfterMs: retryMs };
    };

    let chart: Chart;
    let values: UserValues;
    try {
      chart = await this.fetchChart(hr);
    } catch (err) {
      return fail('ArtifactFailed', errorMessage(err), Math.min(interval, 30_000));
    }
    try {
      values = await this.composeValues(hr);
    } catch (err) {
      return fail('InitFailed', errorMessage(err), Math.min(interval, 30_000));
    }
    const revision = chart.metadata.version;
    const configDigest = `sha256:${digestOf(Buffer.from(JSON.stringify(values)))}`;
    const desiredChanged =
      status.lastAttemptedGeneration !== hr.metadata.generation ||
      status.lastAttemptedRevision !== revision ||
      status.lastAttemptedConfigDigest !== configDigest;

    let history = await helm.store.history(target.namespace, target.name);
    const last = history.at(-1);
    // A release left pending by a stopped controller is failed, as Flux unlocks it.
    if (last?.info.status.startsWith('pending-')) {
      last.info.description = `release was left ${last.info.status} and is marked failed`;
      last.info.status = 'failed';
      await helm.store.update(last);
    }
    // What `uninstall.keepHistory` left is cleared before installing again.
    if (last?.info.status === 'uninstalled') {
      for (const r of history) await helm.store.delete(r.namespace, r.name, r.version);
      history = [];
    }
    const released = status.conditions?.find((c) => c.type === 'Released');
    const inSync =
      !desiredChanged &&
      released?.status === 'True' &&
      history.at(-1)?.info.status === 'deployed' &&
      history.at(-1)?.version === status.history?.[0]?.version;
    const action: Action = history.length > 0 ? 'upgrade' : 'install';
    const remediation: Remediation = hr.spec[action]?.remediation ?? {};
    const retries = remediation.retries ?? 0;
    if (desiredChanged) {
      status.installFailures = 0;
      status.upgradeFailures = 0;
      status.failures = 0;
    }
    const failuresOf = (a: Action | undefined) =>
      (a === 'install' ? status.installFailures : status.upgradeFailures) ?? 0;
    const failures = failuresOf(action);
    // The last attempt failed more often than its retries allow: nothing more is tried until the object changes.
    const attempted = status.lastAttemptedReleaseAction;
    const exhausted =
      attempted !== undefined && failuresOf(attempted) > (hr.spec[attempted]?.remediation?.retries ?? 0);
    if (inSync || (!desiredChanged && released?.status === 'False' && exhausted)) {
      status.history = snapshots(history, status.history);
      await this.writeStatus(ctx, hr, status);
      return { requeueAfterMs: interval };
    }

    status.lastAttemptedGeneration = hr.metadata.generation;
    status.lastAttemptedRevision = revision;
    status.lastAttemptedConfigDigest = configDigest;
    status.lastAttemptedReleaseAction = action;
    const timeoutMs = durationMs(hr.spec.timeout, 300_000);
    set({
      type: 'Ready',
      status: 'Unknown',
      reason: 'Progressing',
      message: `Running '${action}' action with timeout of ${hr.spec.timeout ?? '5m0s'}`,
    });
    await this.writeStatus(ctx, hr, status);
    const chartRef = `${chart.metadata.name}@${revision}`;
    const opts = {
      ...target,
      chart,
      values,
      timeoutMs,
      wait: !hr.spec[action]?.disableWait,
      noHooks: hr.spec[action]?.disableHooks,
    };
    const deployed = [...history].reverse().find((r) => r.info.status === 'deployed');
    try {
      const rel =
        action === 'install'
          ? await install(helm, { ...opts, createNamespace: hr.spec.install?.createNamespace })
          : (await upgrade(helm, opts)).release;
      const reason = action === 'install' ? 'InstallSucceeded' : 'UpgradeSucceeded';
      const message = `Helm ${action} succeeded for release ${target.namespace}/${target.name}.v${rel.version} with chart ${chartRef}`;
      set({ type: 'Released', status: 'True', reason, message });
      status.conditions = status.conditions?.filter((c) => c.type !== 'Remediated');
      if (hr.spec.test?.enable) await this.runTests(helm, rel, set, timeoutMs);
      else status.conditions = status.conditions?.filter((c) => c.type !== 'TestSuccess');
      const tests = status.conditions?.find((c) => c.type === 'TestSuccess');
      if (tests?.status === 'False')
        set({ type: 'Ready', status: 'False', reason: tests.reason, message: tests.message });
      else set({ type: 'Ready', status: 'True', reason, message });
    } catch (err) {
      const reason = action === 'install' ? 'InstallFailed' : 'UpgradeFailed';
      const message = `Helm ${action} failed for release ${target.namespace}/${target.name} with chart ${chartRef}: ${errorMessage(err).replace(/^UPGRADE FAILED: /, '')}`;
      set({ type: 'Released', status: 'False', reason, message });
      set({ type: 'Ready', status: 'False', reason, message });
      const count = failures + 1;
      if (action === 'install') status.installFailures = count;
      else status.upgradeFailures = count;
      status.failures = (status.failures ?? 0) + 1;
      if (count <= retries || (remediation.remediateLastFailure ?? retries > 0)) {
        const remediated = await this.remediate(helm, hr, action, remediation, deployed, timeoutMs);
        set({ type: 'Remediated', status: remediated.ok ? 'True' : 'False', ...remediated });
      }
      status.history = snapshots(await helm.store.history(target.namespace, target.name), status.history);
      await this.writeStatus(ctx, hr, status);
      return { requeueAfterMs: count <= retries ? RETRY_MS : interval };
    }
    status.installFailures = 0;
    status.upgradeFailures = 0;
    status.history = snapshots(await helm.store.history(target.namespace, target.name), status.history);
    await this.writeStatus(ctx, hr, status);
    return { requeueAfterMs: interval };
  }

  /** Flux's remediation: a failed install is uninstalled; a failed upgrade rolled back (or uninstalled). */
  private async remediate(
    helm: ActionContext,
    hr: HelmRelease,
    action: Action,
    remediation: Remediation,
    deployed: Release | undefined,
    timeoutMs: number,
  ): Promise<{ ok: boolean; reason: string; message: string }> {
    const target = { namespace: hr.spec.targetNamespace ?? hr.metadata.namespace!, name: releaseNameOf(hr) };
    const ref = `${target.namespace}/${target.name}`;
    const rollingBack = action === 'upgrade' && (remediation.strategy ?? 'rollback') === 'rollback' && deployed;
    try {
      if (rollingBack) {
        await rollback(helm, {
          ...target,
          version: deployed.version,
          timeoutMs,
          wait: !hr.spec.rollback?.disableWait,
          noHooks: hr.spec.rollback?.disableHooks,
        });
        return {
          ok: true,
          reason: 'RollbackSucceeded',
          message: `Helm rollback to previous release ${ref}.v${deployed.version} with chart ${deployed.chart.metadata.name}@${deployed.chart.metadata.version} succeeded`,
        };
      }
      await uninstall(helm, { ...target, timeoutMs, keepHistory: false });
      return { ok: true, reason: 'UninstallSucceeded', message: `Helm uninstall succeeded for release ${ref}` };
    } catch (err) {
      return {
        ok: false,
        reason: rollingBack ? 'RollbackFailed' : 'UninstallFailed',
        message: `Helm ${rollingBack ? 'rollback' : 'uninstall'} failed for release ${ref}: ${errorMessage(err)}`,
      };
    }
  }

  private async runTests(
    helm: ActionContext,
    rel: Release,
    set: (c: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>) => void,
    timeoutMs: number,
  ): Promise<void> {
    const ref = `${rel.namespace}/${rel.name}.v${rel.version}`;
    try {
      await test(helm, { name: rel.name, namespace: rel.namespace, timeoutMs });
      set({
        type: 'TestSuccess',
        status: 'True',
        reason: 'TestSucceeded',
        message: `Helm test succeeded for release ${ref}`,
      });
    } catch (err) {
      set({
        type: 'TestSuccess',
        status: 'False',
        reason: 'TestFailed',
        message: `Helm test failed for release ${ref}: ${errorMessage(err)}`,
      });
    }
  }

  /** The chart at the asked version from the HelmRepository the HelmRelease names. */
  private async fetchChart(hr: HelmRelease): Promise<Chart> {
    const { chart, version, sourceRef } = hr.spec.chart.spec;
    const ns = sourceRef.namespace ?? hr.metadata.namespace!;
    const repo = this.repositories.get(ns, sourceRef.name);
    if (!repo) throw new Error(`could not get HelmRepository '${ns}/${sourceRef.name}': not found`);
    const renderer = await HelmRenderer.load();
    const constraint = version === '*' ? '' : (version ?? '');
    if (repo.spec.type === 'oci')
      return loadChart(await pullOciChart(renderer, `${repo.spec.url.replace(/\/+$/, '')}/${chart}`, constraint));
    const ready = repo.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True')
      throw new Error(`HelmRepository '${ns}/${sourceRef.name}' is not ready${ready ? `: ${ready.message}` : ''}`);
    const { index } = await fetchIndex(renderer, repo.spec.url);
    const found = findChartVersion(renderer, index, `${ns}/${sourceRef.name}`, chart, constraint);
    return loadChart(await httpGet(chartUrl(repo.spec.url, found)));
  }

  /** Flux's order: each valuesFrom in turn (a whole values file, or one value at targetPath), then spec.values. */
  private async composeValues(hr: HelmRelease): Promise<UserValues> {
    const ns = hr.metadata.namespace!;
    const files: { name: string; text: string }[] = [];
    const setString: string[] = [];
    for (const ref of hr.spec.valuesFrom ?? []) {
      const resource = ref.kind === 'Secret' ? 'secrets' : 'configmaps';
      let obj: KubeObject & { data?: Record<string, string> };
      try {
        obj = await this.helmClient
          .resource({ group: '', version: 'v1', resource, namespaced: true })
          .get(ns, ref.name);
      } catch (err) {
        if (isNotFound(err) && ref.optional) continue;
        throw new Error(`could not get ${ref.kind} '${ns}/${ref.name}': ${errorMessage(err)}`);
      }
      const key = ref.valuesKey ?? 'values.yaml';
      const raw = obj.data?.[key];
      if (raw === undefined) {
        if (ref.optional) continue;
        throw new Error(`missing key '${key}' in ${ref.kind} '${ns}/${ref.name}'`);
      }
      const text = ref.kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      if (ref.targetPath) setString.push(`${ref.targetPath}=${text.replace(/\\/g, '\\\\').replace(/,/g, '\\,')}`);
      else files.push({ name: `${ref.kind}/${ref.name} ${key}`, text });
    }
    if (hr.spec.values) files.push({ name: 'spec.values', text: JSON.stringify(hr.spec.values) });
    return { files, setString };
  }

  private async setFinalizers(ctx: ControllerContext, hr: HelmRelease, finalizers: string[]): Promise<void> {
    await ctx.client
      .resource(HELM_RELEASES)
      .patch(
        hr.metadata.namespace,
        hr.metadata.name!,
        { metadata: { finalizers, resourceVersion: hr.metadata.resourceVersion } },
        'merge',
      );
  }

  private async writeStatus(ctx: ControllerContext, hr: HelmRelease, status: HelmReleaseStatus): Promise<void> {
    status.observedGeneration = hr.metadata.generation;
    if (JSON.stringify(status) === JSON.stringify(hr.status)) return;
    try {
      await ctx.client
        .resource(HELM_RELEASES)
        .patchStatus(hr.metadata.namespace, hr.metadata.name!, { status }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private helm?: ActionContext;

  private async actionContext(): Promise<ActionContext> {
    this.helm ??= {
      client: this.helmClient,
      store: new ReleaseStore(this.helmClient),
      renderer: await HelmRenderer.load(),
    };
    return this.helm;
  }
}

/** Flux's default release name: `[targetNamespace-]name`. */
function releaseNameOf(hr: HelmRelease): string {
  return (
    hr.spec.releaseName ??
    (hr.spec.targetNamespace ? `${hr.spec.targetNamespace}-${hr.metadata.name}` : hr.metadata.name!)
  );
}

/** status.history: the release's revisions, newest first, as many as Flux keeps. */
function snapshots(history: Release[], previous: Snapshot[] | undefined): Snapshot[] {
  const tests = new Map((previous ?? []).map((s) => [s.version, s.testHooks]));
  return [...history]
    .reverse()
    .slice(0, HISTORY_KEPT)
    .map((r) => {
      const testHooks = Object.fromEntries(
        (r.hooks ?? [])
          .filter((h) => h.events.includes('test') && h.last_run?.started_at)
          .map((h) => [
            `${r.namespace}/${h.name}`,
            { lastStarted: h.last_run.started_at, lastCompleted: h.last_run.completed_at, phase: h.last_run.phase },
          ]),
      );
      return {
        name: r.name,
        namespace: r.namespace,
        version: r.version,
        status: r.info.status,
        chartName: r.chart.metadata.name,
        chartVersion: r.chart.metadata.version,
        ...(r.chart.metadata.appVersion ? { appVersion: r.chart.metadata.appVersion } : {}),
        configDigest: `sha256:${digestOf(Buffer.from(JSON.stringify(r.config ?? {})))}`,
        firstDeployed: r.info.first_deployed,
        lastDeployed: r.info.last_deployed,
        ...(r.info.deleted ? { deleted: r.info.deleted } : {}),
        ...(Object.keys(testHooks).length
          ? { testHooks }
          : tests.get(r.version)
            ? { testHooks: tests.get(r.version) }
            : {}),
      };
    });
}
