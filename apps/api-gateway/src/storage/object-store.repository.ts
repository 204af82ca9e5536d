import { Inject, Injectable } from '@nestjs/common';
import { ApiError, KubeObject } from '@skiff/api-machinery';
import { DataSource, EntityManager } from 'typeorm';
import { DATA_SOURCE } from '../platform/database.provider';
import { ObjectKey } from './object-key';

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
const UNIQUE_VIOLATION = '23505';

/**
 * The only door to the object tables. Every write runs in one transaction that locks the
 * object row, lets the caller decide, then takes the resourceVersion counter last, so commit
 * order equals resourceVersion order, and writes the change to the outbox in the same commit.
 */
@Injectable()
export class ObjectStoreRepository {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    const rows: { body: KubeObject }[] = await this.ds.query(
      'SELECT body FROM objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4',
      [key.group, key.resource, key.namespace, key.name],
    );
    return rows[0]?.body;
  }

  async currentResourceVersion(): Promise<number> {
    const rows: { current: string }[] = await this.ds.query('SELECT current FROM resource_version_counter WHERE id = 1');
    return Number(rows[0].current);
  }

  /** A consistent snapshot: the items and the resourceVersion they are current at. */
  async list(q: ListQuery): Promise<ListResult> {
    return this.ds.transaction('REPEATABLE READ', async (em) => {
      const params: unknown[] = [q.group, q.resource];
      let sql = 'SELECT body FROM objects WHERE api_group = $1 AND resource = $2';
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
      const rows: { body: KubeObject }[] = await em.query(sql, params);
      const counter: { current: string }[] = await em.query('SELECT current FROM resource_version_counter WHERE id = 1');
      const more = q.limit !== undefined && rows.length > q.limit;
      return {
        items: (more ? rows.slice(0, q.limit) : rows).map((r) => r.body),
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

  async write(key: ObjectKey, decide: (current: KubeObject | undefined) => WriteDecision): Promise<WriteResult> {
    try {
      return await this.ds.transaction('READ COMMITTED', async (em) => {
        const rows: { body: KubeObject }[] = await em.query(
          'SELECT body FROM objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4 FOR UPDATE',
          [key.group, key.resource, key.namespace, key.name],
        );
        const current = rows[0]?.body;
        const decision = decide(current);
        if (decision.op === 'none') return { op: 'none', object: decision.object };
        const rv = await this.nextResourceVersion(em);
        const stored = withResourceVersion(decision.object, rv);
        if (decision.op === 'create') {
          await em.query(
            'INSERT INTO objects (api_group, resource, namespace, name, uid, resource_version, body) VALUES ($1, $2, $3, $4, $5, $6, $7)',
            [key.group, key.resource, key.namespace, key.name, stored.metadata.uid, rv, stored],
          );
        } else if (decision.op === 'update') {
          await em.query(
            'UPDATE objects SET resource_version = $5, body = $6 WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4',
            [key.group, key.resource, key.namespace, key.name, rv, stored],
          );
        } else {
          await em.query('DELETE FROM objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4', [
            key.group,
            key.resource,
            key.namespace,
            key.name,
          ]);
        }
        const type = decision.op === 'create' ? 'ADDED' : decision.op === 'update' ? 'MODIFIED' : 'DELETED';
        await em.query(
          'INSERT INTO object_changes (resource_version, type, api_group, resource, namespace, name, body, prev_body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [rv, type, key.group, key.resource, key.namespace, key.name, stored, decision.op === 'update' ? current : null],
        );
        await em.query(`SELECT pg_notify('${CHANGES_CHANNEL}', $1)`, [String(rv)]);
        return { op: decision.op, object: stored };
      });
    } catch (err) {
      // Two creates raced past the (absent) row lock: the loser gets AlreadyExists.
      if (isPgError(err) && err.code === UNIQUE_VIOLATION) {
        throw ApiError.alreadyExists({ group: key.group, resource: key.resource, name: key.name });
      }
      throw err;
    }
  }

  // Taken last: the row lock serialises commits in resourceVersion order.
  private async nextResourceVersion(em: EntityManager): Promise<number> {
    const rows: { current: string }[] = await em.query(
      // Wrapped in a SELECT so the driver returns plain rows, as for every other query here.
      'WITH next AS (UPDATE resource_version_counter SET current = current + 1 WHERE id = 1 RETURNING current) SELECT current FROM next',
    );
    return Number(rows[0].current);
  }
}

function withResourceVersion(obj: KubeObject, rv: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
}

function isPgError(err: unknown): err is { code: string } {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string';
}
