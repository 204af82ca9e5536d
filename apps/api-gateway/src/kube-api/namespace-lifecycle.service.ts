import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ApiError, KubeObject, errorMessage } from '@skiff/api-machinery';
import { ResourceRegistry } from '@skiff/api-server';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { DeletionService } from './deletion.service';
import { ResourceContext, systemContext } from './resource-context';
import { ResourceWriterService } from './resource-writer.service';
import { SYSTEM_NAMESPACES, SYSTEM_PRIORITY_CLASSES } from './system-objects';

const SYSTEM_MANAGER = 'skiff-api-gateway';
const SWEEP_MS = 2000;

/**
 * The namespace controller's job, kept in the API server: the system namespaces (and system
 * priority classes) exist, and a terminating namespace has its contents deleted and then goes away.
 */
@Injectable()
export class NamespaceLifecycleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(NamespaceLifecycleService.name);
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStoreRepository,
    private readonly writer: ResourceWriterService,
    private readonly deletion: DeletionService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureNamespaces(SYSTEM_NAMESPACES);
    for (const pc of SYSTEM_PRIORITY_CLASSES)
      await this.ensure(this.context('scheduling.k8s.io', 'priorityclasses', ''), pc);
    this.deletion.onNamespaceTerminating(() => void this.sweep());
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const { items } = await this.store.list({ group: '', resource: 'namespaces' });
      for (const ns of items.filter((n) => n.metadata.deletionTimestamp)) await this.finalize(ns.metadata.name!);
      // kube-node-lease may be deleted; like upstream's system namespaces controller, it comes back.
      await this.ensureNamespaces(SYSTEM_NAMESPACES.filter((name) => !items.some((n) => n.metadata.name === name)));
    } catch (err) {
      this.log.warn(`namespace sweep: ${errorMessage(err)}`);
    } finally {
      this.sweeping = false;
    }
  }

  private async ensureNamespaces(names: string[]): Promise<void> {
    const ctx = this.context('', 'namespaces', '');
    for (const name of names) await this.ensure(ctx, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  private async ensure(ctx: ResourceContext, obj: KubeObject): Promise<void> {
    try {
      await this.writer.create(ctx, obj, {
        dryRun: false,
        fieldManager: SYSTEM_MANAGER,
        fieldValidation: 'Ignore',
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  private async finalize(namespace: string): Promise<void> {
    const keys = await this.store.keysInNamespace(namespace, 500);
    for (const key of keys) {
      const ctx = this.context(key.group, key.resource, namespace);
      try {
        await this.deletion.delete(ctx, key.name, {
          dryRun: false,
          propagationPolicy: 'Background',
          gracePeriodSeconds: 0,
        });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    const remaining = await this.store.keysInNamespace(namespace, 1);
    if (remaining.length > 0) return;
    await this.store.write({ group: '', resource: 'namespaces', namespace: '', name: namespace }, (current) =>
      current && current.metadata.deletionTimestamp
        ? { op: 'delete', object: current }
        : { op: 'none', object: current },
    );
    this.log.log(`namespace ${namespace} deleted`);
  }

  private context(group: string, resource: string, namespace: string): ResourceContext {
    return systemContext(this.registry, group, resource, namespace);
  }
}
