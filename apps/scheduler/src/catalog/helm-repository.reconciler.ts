import { Injectable } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import {
  Controller,
  ControllerContext,
  HELM_REPOSITORIES,
  Informer,
  objectKey,
  ReconcileResult,
  splitKey,
} from '@skiff/controller-runtime';
import { digestOf, fetchIndex, HelmRenderer } from '@skiff/helm-engine';
import { isNotFound } from '@skiff/kube-client';
import { durationMs, HelmRepository, setCondition } from './catalog-objects';

const DEFAULT_INTERVAL_MS = 10 * 60_000;
const RETRY_MS = 30_000;

/**
 * Flux's source-controller for HelmRepository: an HTTP repository's index.yaml fetched every interval, its digest
 * the artifact's revision, and Ready saying whether it could be fetched. An OCI repository has no index: it is
 * Ready as it stands, and charts are pulled from it by reference.
 */
@Injectable()
export class HelmRepositoryReconciler implements Controller {
  readonly name = 'helmrepository-controller';
  readonly workers = 2;
  private repositories!: Informer<HelmRepository>;

  begin(ctx: ControllerContext): void {
    this.repositories = ctx.informers.get<HelmRepository>(HELM_REPOSITORIES);
    this.repositories.on('add', (r) => ctx.enqueue(objectKey(r)));
    this.repositories.on('update', (r, old) => {
      if (r.metadata.generation !== old?.metadata.generation) ctx.enqueue(objectKey(r));
    });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const repo = this.repositories.get(namespace, name);
    if (!repo || repo.metadata.deletionTimestamp || repo.spec.suspend) return;
    const interval = durationMs(repo.spec.interval, DEFAULT_INTERVAL_MS);
    const now = new Date().toISOString();
    const status = { ...repo.status, observedGeneration: repo.metadata.generation };
    let ok = true;
    if (repo.spec.type === 'oci') {
      status.conditions = setCondition(
        status.conditions,
        { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'Helm repository is ready' },
        now,
      );
    } else {
      try {
        const { text } = await fetchIndex(await HelmRenderer.load(), repo.spec.url);
        const revision = `sha256:${digestOf(Buffer.from(text))}`;
        const path = `helmrepository/${namespace}/${name}/index-${revision.slice(7)}.yaml`;
        if (status.artifact?.revision !== revision)
          status.artifact = {
            revision,
            digest: revision,
            lastUpdateTime: now,
            size: text.length,
            url: repo.spec.url,
            path,
          };
        status.url = repo.spec.url;
        status.conditions = setCondition(
          status.conditions,
          { type: 'Ready', status: 'True', reason: 'Succeeded', message: `stored artifact: revision '${revision}'` },
          now,
        );
      } catch (err) {
        ok = false;
        status.conditions = setCondition(
          status.conditions,
          { type: 'Ready', status: 'False', reason: 'FetchFailed', message: errorMessage(err) },
          now,
        );
      }
    }
    if (JSON.stringify(status) !== JSON.stringify(repo.status)) {
      try {
        await ctx.client.resource<HelmRepository>(HELM_REPOSITORIES).updateStatus(namespace, { ...repo, status });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    return { requeueAfterMs: ok ? interval : Math.min(interval, RETRY_MS) };
  }
}
