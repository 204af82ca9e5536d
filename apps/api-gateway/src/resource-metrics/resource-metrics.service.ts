import { Injectable } from '@nestjs/common';
import { ApiError, Clock, KubeObject } from '@skiff/api-machinery';
import { ResourceType } from '@skiff/api-server';
import { NodeMetrics, PodMetrics } from '@skiff/kube-types';
import { ListOptions, matchesListOptions } from '../kube-api/list-options';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { nodeMetricsOf, podMetricsOf, StatsIndex } from './resource-metrics.conversion';
import { StatsSummarySource } from './stats-summary.source';

/** How long merged summaries are reused: agents sample every 10–15 s, so a fresher answer would not differ much. */
export const SUMMARY_TTL_MS = 5_000;

/**
 * metrics.k8s.io/v1beta1 as metrics-server serves it: PodMetrics of the pods and NodeMetrics of the (virtual)
 * nodes the API has, from the agents' summaries; an object without a sample does not exist.
 */
@Injectable()
export class ResourceMetricsService {
  private latest?: { atMs: number; index: Promise<StatsIndex> };

  constructor(
    private readonly source: StatsSummarySource,
    private readonly store: ObjectStoreRepository,
    private readonly clock: Clock,
  ) {}

  /** `type` is PodMetrics or NodeMetrics; `namespace` the pod's. */
  async get(type: ResourceType, namespace: string, name: string): Promise<KubeObject> {
    const pods = type.namespaced;
    const obj = await this.store.get({ group: '', resource: pods ? 'pods' : 'nodes', namespace, name });
    const metrics = obj ? this.metricsOf(type, obj, await this.stats()) : undefined;
    if (!metrics) throw ApiError.notFound({ group: type.group, resource: type.kind.toLowerCase(), name });
    return metrics;
  }

  /** `namespace` '' lists pods of all namespaces. Selectors apply to the pod or node, as metrics-server's do. */
  async list(type: ResourceType, namespace: string, opts: ListOptions): Promise<KubeObject[]> {
    const pods = type.namespaced;
    const [{ items }, stats] = await Promise.all([
      this.store.list({
        group: '',
        resource: pods ? 'pods' : 'nodes',
        namespace: pods ? namespace || undefined : '',
        name: opts.name,
      }),
      this.stats(),
    ]);
    return items.flatMap((obj) => (matchesListOptions(opts, obj) ? (this.metricsOf(type, obj, stats) ?? []) : []));
  }

  private metricsOf(type: ResourceType, obj: KubeObject, stats: StatsIndex): KubeObject | undefined {
    const now = this.clock.now();
    const metrics: PodMetrics | NodeMetrics | undefined = type.namespaced
      ? podMetricsOf(obj, stats, now)
      : nodeMetricsOf(obj, stats, now);
    return metrics && { ...metrics, metadata: { ...metrics.metadata } };
  }

  // One collection at a time, reused for SUMMARY_TTL_MS; a failed one is not kept.
  private stats(): Promise<StatsIndex> {
    const now = this.clock.nowMs();
    if (this.latest && now - this.latest.atMs < SUMMARY_TTL_MS) return this.latest.index;
    const entry = { atMs: now, index: this.source.collect().then((summaries) => new StatsIndex(summaries)) };
    this.latest = entry;
    entry.index.catch(() => {
      if (this.latest === entry) this.latest = undefined;
    });
    return entry.index;
  }
}
