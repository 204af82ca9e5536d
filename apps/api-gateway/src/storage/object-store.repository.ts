import { Inject, Injectable } from '@nestjs/common';
import { KubeObject } from '@skiff/api-machinery';
import { StorageTransformers, StoredBody } from '@skiff/api-server';
import { DataSource, QueryRunner } from 'typeorm';
import { DATA_SOURCE } from '../platform/database.provider';
import { ObjectKey, storableKey, storableText } from './object-key';
import { readStoredBody, storedBodyParam } from './stored-body';

/** What a write decided after reading the current (locked) object. */
export type WriteDecision =
  | { op: 'create'; object: KubeObject }
  | { op: 'update'; object: KubeObject }
  | { op: 'delete'; object: KubeObject }
  | { op: 'none'; object: KubeObject | undefined };

export interface WriteResult {
  op: WriteDecision['op'];
  /** The object as stored (with its new resourceVersion), or as it was for delete/none. */
  object: KubeObject | undefined;
}

export interface ListQuery {
  group: string;
  resource: string;
  namespace?: string;
  /** Only the object with this name (fieldSelector metadata.name=). */
  name?: string;
  /** Continue after this (namespace, name). */
  after?: { namespace: string; name: string };
  limit?: number;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: number;
  /** True when `limit` cut the list short. */
  more: boolean;
}

export const CHANGES_CHANNEL = 'skiff_changes';

/** The pg client under a TypeORM query runner: a text of several statements answers with one result each. */
interface SimpleQueryClient {
  query(text: string): Promise<{ rows: { current?: string }[] }[]>;
}
const MAX_BATCH = 200;

/** Reads inside a write's transaction: rows are locked until commit. */
export interface LockedReader {
  list(group: string, resource: string, namespace: string): Promise<KubeObject[]>;
}

/**
 * Admission decided in the write's own transaction (ResourceQuota): given the stored object and
 * the one it replaces, returns other objects to update with it, or throws to refuse the write.
 */
export type CoWrite = (
  tx: LockedReader,
  object: KubeObject,
  current: KubeObject | undefined,
) => Promise<{ key: ObjectKey; object: KubeObject }[]>;

interface PendingWrite {
  key: ObjectKey;
  decide: (current: KubeObject | undefined) => WriteDecision;
  coWrite?: CoWrite;
  resolve: (r: WriteResult) => void;
  reject: (err: unknown) => void;
}

/**
 * The only door to the object tables. Writes are committed in batches: each batch locks the
 * resourceVersion counter, then for every write locks the object row, lets the caller decide,
 * and writes the object with its change (the outbox) — one commit for the whole batch.
 * Bodies pass through the resource's storage transformer (encryption at rest) both ways.
 */
@Injectable()
export class ObjectStoreRepository {
  private readonly pending: PendingWrite[] = [];
  private committing = false;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly transformers: StorageTransformers,
  ) {}

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    if (!storableKey(key)) return undefined;
    const rows: { body: StoredBody }[] = await this.ds.query(
      'SELECT body FROM objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4',
      [key.group, key.resource, key.namespace, key.name],
    );
    return rows[0] && readStoredBody(this.transformers, key, rows[0].body).object;
  }

  async currentResourceVersion(): Promise<number> {
    const rows: { current: string }[] = await this.ds.query(
      'SELECT current FROM resource_version_counter WHERE id = 1',
    );
    return Number(rows[0].current);
  }

  /** A consistent snapshot: the items and the resourceVersion they are current at. */
  async list(q: ListQuery): Promise<ListResult> {
    return this.ds.transaction('REPEATABLE READ', async (em) => {
      const params: unknown[] = [q.group, q.resource];
      let sql = 'SELECT namespace, name, body FROM objects WHERE api_group = $1 AND resource = $2';
      if (q.namespace !== undefined) {
        params.push(q.namespace);
        sql += ` AND namespace = $${params.length}`;
      }
      if (q.name !== undefined) {
        params.push(q.name);
        sql += ` AND name = $${params.length}`;
      }
      if (q.after) {
        params.push(q.after.namespace, q.after.name);
        sql += ` AND (namespace, name) > ($${params.length - 1}, $${params.length})`;
      }
      sql += ' ORDER BY namespace, name';
      if (q.limit) {
        params.push(q.limit + 1);
        sql += ` LIMIT $${params.length}`;
      }
      const rows: { namespace: string; name: string; body: StoredBody }[] = [
        q.namespace,
        q.name,
        q.after?.namespace,
        q.after?.name,
      ].every(storableText)
        ? await em.query(sql, params)
        : [];
      const counter: { current: string }[] = await em.query(
        'SELECT current FROM resource_version_counter WHERE id = 1',
      );
      const more = q.limit !== undefined && rows.length > q.limit;
      return {
        items: (more ? rows.slice(0, q.limit) : rows).map(
          (r) => readStoredBody(this.transformers, { ...q, namespace: r.namespace, name: r.name }, r.body).object,
        ),
        resourceVersion: Number(counter[0].current),
        more,
      };
    });
  }

  /** Names of namespaced objects of every resource in a namespace (for namespace deletion). */
  async keysInNamespace(namespace: string, limit: number): Promise<ObjectKey[]> {
    const rows: { api_group: string; resource: string; namespace: string; name: string }[] = await this.ds.query(
      'SELECT api_group, resource, namespace, name FROM objects WHERE namespace = $1 ORDER BY api_group, resource, name LIMIT $2',
      [namespace, limit],
    );
    return rows.map((r) => ({ group: r.api_group, resource: r.resource, namespace: r.namespace, name: r.name }));
  }

  /**
   * Queues a write for the next commit batch (group commit): many writes share one transaction
   * and one flush to disk, which is what lets commit order equal resourceVersion order without
   * paying one serialised fsync per write.
   */
  write(
    key: ObjectKey,
    decide: (current: KubeObject | undefined) => WriteDecision,
    coWrite?: CoWrite,
  ): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key, decide, coWrite, resolve, reject });
      if (!this.committing) void this.commitPending();
    });
  }

  private async commitPending(): Promise<void> {
    this.committing = true;
    try {
      while (this.pending.length > 0) await this.commitBatch(this.pending.splice(0, MAX_BATCH));
    } finally {
      this.committing = false;
    }
  }

  private async commitBatch(batch: PendingWrite[]): Promise<void> {
    const qr = this.ds.createQueryRunner();
    const outcomes: (WriteResult | Error)[] = [];
    let open = false;
    try {
      // The transaction's start and end go as simple queries of several statements: BEGIN with the counter's lock,
      // and the counter's update with COMMIT, one round trip each (a write of one object takes four).
      const client = (await qr.connect()) as SimpleQueryClient;
      open = true;
      // The counter row is locked first and held to commit, so batches (from any gateway)
      // commit one after another and resourceVersions are handed out in commit order.
      const [, counter] = await client.query(
        'BEGIN ISOLATION LEVEL READ COMMITTED; SELECT current FROM resource_version_counter WHERE id = 1 FOR UPDATE',
      );
      const first = Number(counter.rows[0].current);
      let rv = first;
      for (const w of batch) {
        const rows: { body: StoredBody }[] = storableKey(w.key)
          ? await qr.query(
              'SELECT body FROM objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4 FOR UPDATE',
              [w.key.group, w.key.resource, w.key.namespace, w.key.name],
            )
          : [];
        let current: KubeObject | undefined;
        let decision: WriteDecision;
        let also: { key: ObjectKey; object: KubeObject; current: KubeObject }[] = [];
        try {
          const read = rows[0] && readStoredBody(this.transformers, w.key, rows[0].body);
          current = read?.object;
          decision = w.decide(current);
          // Decided before anything of this write is applied: a refusal leaves nothing half-written.
          if (w.coWrite && (decision.op === 'create' || decision.op === 'update'))
            also = await this.coWritten(qr, w.coWrite, decision.object, current);
          // As kube-apiserver: an unchanged update still rewrites a value stored by an older key or provider, which is
          // how `kubectl replace` (and scripts/encrypt-secrets.ts) re-encrypts everything under the current key.
          if (decision.op === 'none' && read?.stale && current) decision = { op: 'update', object: current };
        } catch (err) {
          outcomes.push(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        if (decision.op === 'none') {
          outcomes.push({ op: 'none', object: decision.object });
          continue;
        }
        rv += 1;
        const stored = withResourceVersion(decision.object, rv);
        await this.apply(qr, w.key, decision.op, stored, rv, current);
        outcomes.push({ op: decision.op, object: stored });
        for (const a of also) {
          rv += 1;
          await this.apply(qr, a.key, 'update', withResourceVersion(a.object, rv), rv, a.current);
        }
      }
      // rv is this function's own integer, so it is written into the statements rather than bound.
      await client.query(
        rv > first
          ? `UPDATE resource_version_counter SET current = ${rv} WHERE id = 1; SELECT pg_notify('${CHANGES_CHANNEL}', '${rv}'); COMMIT`
          : 'COMMIT',
      );
      open = false;
    } catch (err) {
      if (open) await qr.query('ROLLBACK').catch(() => undefined);
      for (const w of batch) w.reject(err);
      return;
    } finally {
      await qr.release();
    }
    batch.forEach((w, i) => {
      const out = outcomes[i];
      if (out instanceof Error) w.reject(out);
      else w.resolve(out);
    });
  }

  private async coWritten(
    qr: QueryRunner,
    coWrite: CoWrite,
    object: KubeObject,
    current: KubeObject | undefined,
  ): Promise<{ key: ObjectKey; object: KubeObject; current: KubeObject }[]> {
    const locked = new Map<string, KubeObject>();
    const tx: LockedReader = {
      list: async (group, resource, namespace) => {
        const rows: { name: string; body: KubeObject }[] = await qr.query(
          'SELECT name, body FROM objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 ORDER BY name FOR UPDATE',
          [group, resource, namespace],
        );
        for (const r of rows) locked.set(`${group}/${resource}/${namespace}/${r.name}`, r.body);
        return rows.map((r) => r.body);
      },
    };
    const updates = await coWrite(tx, object, current);
    return updates.map((u) => {
      const was = locked.get(`${u.key.group}/${u.key.resource}/${u.key.namespace}/${u.key.name}`);
      if (!was) throw new Error(`a co-write may only update an object it read: ${u.key.resource}/${u.key.name}`);
      return { ...u, current: was };
    });
  }

  // One statement per change: the object row and its outbox row together.
  private async apply(
    qr: QueryRunner,
    key: ObjectKey,
    op: 'create' | 'update' | 'delete',
    stored: KubeObject,
    rv: number,
    current: KubeObject | undefined,
  ): Promise<void> {
    const type = op === 'create' ? 'ADDED' : op === 'update' ? 'MODIFIED' : 'DELETED';
    const k = [key.group, key.resource, key.namespace, key.name];
    const change =
      'INSERT INTO object_changes (resource_version, type, api_group, resource, namespace, name, body, prev_body) VALUES ($5, $6, $1, $2, $3, $4, $7, $8)';
    const body = storedBodyParam(this.transformers, key, stored);
    const prev = op === 'update' && current ? storedBodyParam(this.transformers, key, current) : null;
    if (op === 'create') {
      await qr.query(
        `WITH o AS (INSERT INTO objects (api_group, resource, namespace, name, uid, resource_version, body) VALUES ($1, $2, $3, $4, $9, $5, $7)) ${change}`,
        [...k, rv, type, body, prev, stored.metadata.uid],
      );
    } else if (op === 'update') {
      await qr.query(
        `WITH o AS (UPDATE objects SET resource_version = $5, body = $7 WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4) ${change}`,
        [...k, rv, type, body, prev],
      );
    } else {
      await qr.query(
        `WITH o AS (DELETE FROM objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4) ${change}`,
        [...k, rv, type, body, prev],
      );
    }
  }
}

function withResourceVersion(obj: KubeObject, rv: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
}
