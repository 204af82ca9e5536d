import { Inject, Injectable } from '@nestjs/common';
import { KubeObject } from '@skiff/api-machinery';
import { ConfigError, SchedulerConfig } from '@skiff/config';
import { CONFIG_MAPS, Controller, ControllerContext, Informer, NAMESPACES } from '@skiff/controller-runtime';
import { isAlreadyExists, isNotFound } from '@skiff/kube-client';
import { readFileSync } from 'node:fs';
import { SCHEDULER_CONFIG } from '../platform/scheduler.providers';
import { isNamespaceTerminating } from './service-account.reconciler';

export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/**
 * kube-controller-manager's root-ca-cert-publisher: every active namespace has the `kube-root-ca.crt` ConfigMap with
 * the cluster CA (`ca.crt`), which pods' kube-api-access volumes project; edits and deletions are undone.
 */
@Injectable()
export class RootCaPublisherReconciler implements Controller {
  readonly name = 'root-ca-cert-publisher';
  readonly workers = 2;
  private readonly ca: string;
  private namespaces!: Informer;
  private configMaps!: Informer;

  constructor(@Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'caFile'>) {
    try {
      this.ca = readFileSync(config.caFile, 'utf8');
    } catch (err) {
      throw new ConfigError('SKIFF_CA_FILE', `cannot read ${config.caFile}: ${(err as Error).message}`);
    }
  }

  begin(ctx: ControllerContext): void {
    this.namespaces = ctx.informers.get(NAMESPACES);
    this.configMaps = ctx.informers.get(CONFIG_MAPS);
    for (const e of ['add', 'update'] as const) this.namespaces.on(e, (ns) => ctx.enqueue(ns.metadata.name!));
    for (const e of ['update', 'delete'] as const)
      this.configMaps.on(e, (cm) => {
        if (cm.metadata.name === ROOT_CA_CONFIG_MAP) ctx.enqueue(cm.metadata.namespace!);
      });
  }

  async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const ns = this.namespaces.get(undefined, key);
    if (!ns || ns.metadata.deletionTimestamp) return;
    const current = this.configMaps.get(key, ROOT_CA_CONFIG_MAP);
    const client = ctx.client.resource(CONFIG_MAPS);
    try {
      if (!current) {
        await client.create(key, this.configMap(key));
        return;
      }
      const data = current.data as Record<string, string> | undefined;
      if (
        data?.['ca.crt'] === this.ca &&
        Object.keys(data).length === 1 &&
        current.metadata.annotations?.['kubernetes.io/description'] === DESCRIPTION
      )
        return;
      await client.update(key, {
        ...this.configMap(key),
        metadata: {
          ...current.metadata,
          annotations: { ...current.metadata.annotations, 'kubernetes.io/description': DESCRIPTION },
        },
      });
    } catch (err) {
      // Racing our own cache, or the namespace going away: the next event settles it.
      if (isAlreadyExists(err) || isNotFound(err) || isNamespaceTerminating(err)) return;
      throw err;
    }
  }

  private configMap(namespace: string): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ROOT_CA_CONFIG_MAP, namespace, annotations: { 'kubernetes.io/description': DESCRIPTION } },
      data: { 'ca.crt': this.ca },
    };
  }
}
