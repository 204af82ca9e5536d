import { KubeObject } from '@skiff/api-machinery';
import { LOGSTORES } from '@skiff/controller-runtime';
import { ignoreAlreadyExists, KubeClient } from '@skiff/kube-client';
import { LogStoreSettings } from '@skiff/messaging';

/**
 * A logstore as a namespaced object (`logs.skiff.io/v1`, short name `ls`): log-svc makes it when a container first
 * sends records to the store, with the settings of its env (`aliyun_logs_{key}_ttl`, `_shard`, `_logstoremode`,
 * `_project`). Its spec is what the store keeps; deleting it deletes the store's records.
 */
export interface Logstore extends KubeObject {
  spec?: {
    ttlDays?: number;
    shards?: number;
    mode?: 'standard' | 'query';
    project?: string;
  };
}

/** Held by every Logstore until log-svc has deleted its records. */
export const LOGSTORE_FINALIZER = 'logs.skiff.io/records';

export const LOGSTORE_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'logstores.logs.skiff.io' },
  spec: {
    group: 'logs.skiff.io',
    scope: 'Namespaced',
    names: {
      plural: 'logstores',
      singular: 'logstore',
      kind: 'Logstore',
      listKind: 'LogstoreList',
      shortNames: ['ls'],
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        additionalPrinterColumns: [
          { name: 'TTL', type: 'integer', jsonPath: '.spec.ttlDays', description: 'days records are kept' },
          { name: 'Shards', type: 'integer', jsonPath: '.spec.shards' },
          { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
          { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 1 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  ttlDays: { type: 'integer', minimum: 1, maximum: 3650, default: 90 },
                  shards: { type: 'integer', minimum: 1, maximum: 10, default: 2 },
                  mode: { type: 'string', enum: ['standard', 'query'], default: 'standard' },
                  project: { type: 'string' },
                },
              },
            },
          },
        },
      },
    ],
  },
};

/** Makes a store's Logstore object (one that exists is left as it is). */
export async function createLogstore(client: KubeClient, store: LogStoreSettings): Promise<void> {
  await client.resource<Logstore>(LOGSTORES).create(store.namespace, logstoreFor(store)).catch(ignoreAlreadyExists);
}

/** The object of a store log-svc made (or found without one). */
export function logstoreFor(s: LogStoreSettings): Logstore {
  return {
    apiVersion: 'logs.skiff.io/v1',
    kind: 'Logstore',
    metadata: { namespace: s.namespace, name: s.name, finalizers: [LOGSTORE_FINALIZER] },
    spec: { ttlDays: s.ttlDays, shards: s.shards, mode: s.mode, ...(s.project ? { project: s.project } : {}) },
  };
}

/** The settings a Logstore's spec gives its store (the CRD's defaults for what it leaves out). */
export function settingsOf(obj: Logstore): LogStoreSettings {
  const spec = obj.spec ?? {};
  return {
    namespace: obj.metadata.namespace!,
    name: obj.metadata.name!,
    ttlDays: spec.ttlDays ?? 90,
    shards: spec.shards ?? 2,
    mode: spec.mode ?? 'standard',
    ...(spec.project ? { project: spec.project } : {}),
  };
}
