import { randomUUID } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { ConfigMapStore } from './load';
import { errorMessage } from '@skiff/api-machinery';

// Same pool size as the gateway's TypeORM data source, so concurrency limits match.
const POOL_SIZE = 20;

/**
 * The database floor: the gateway's write transaction done directly with `pg` — lock the
 * row, bump the global resourceVersion counter, write the JSONB row and the outbox row,
 * notify — on copies of the object tables, so the API's relay never sees these rows.
 */
export class PgConfigMapStore implements ConfigMapStore {
  private readonly pool: Pool;

  constructor(databaseUrl: string) {
    this.pool = new Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  }

  async setup(): Promise<void> {
    await this.pool.query('CREATE TABLE bench_objects (LIKE objects INCLUDING ALL)');
    await this.pool.query('CREATE TABLE bench_changes (LIKE object_changes INCLUDING ALL)');
    await this.pool.query('CREATE TABLE bench_counter (LIKE resource_version_counter INCLUDING ALL)');
    await this.pool.query('INSERT INTO bench_counter (id, current) VALUES (1, 0)');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  create(ns: string, name: string, data: Record<string, string>): Promise<string> {
    return this.write(ns, name, 'ADDED', (current) => {
      if (current) throw new Error(`configmaps "${name}" already exists`);
      return configMapBody(ns, name, data);
    });
  }

  async get(ns: string, name: string): Promise<string> {
    const res = await this.pool.query<{ body: StoredBody }>(
      "SELECT body FROM bench_objects WHERE api_group = '' AND resource = 'configmaps' AND namespace = $1 AND name = $2",
      [ns, name],
    );
    if (!res.rows[0]) throw new Error(`configmaps "${name}" not found`);
    return res.rows[0].body.metadata.resourceVersion;
  }

  update(ns: string, name: string, resourceVersion: string, data: Record<string, string>): Promise<string> {
    return this.write(ns, name, 'MODIFIED', (current) => {
      if (!current) throw new Error(`configmaps "${name}" not found`);
      if (current.metadata.resourceVersion !== resourceVersion) throw new Error(`conflict on configmaps "${name}"`);
      return { ...current, data };
    });
  }

  patch(ns: string, name: string, data: Record<string, string>): Promise<string> {
    return this.write(ns, name, 'MODIFIED', (current) => {
      if (!current) throw new Error(`configmaps "${name}" not found`);
      return { ...current, data: { ...current.data, ...data } };
    });
  }

  async remove(ns: string, name: string): Promise<void> {
    await this.write(ns, name, 'DELETED', (current) => {
      if (!current) throw new Error(`configmaps "${name}" not found`);
      return current;
    });
  }

  describeError(err: unknown): { method: string; path: string; status: number; message: string } {
    return {
      method: 'SQL',
      path: 'bench_objects',
      status: 0,
      message: errorMessage(err),
    };
  }

  private async write(
    ns: string,
    name: string,
    type: 'ADDED' | 'MODIFIED' | 'DELETED',
    decide: (current: StoredBody | undefined) => StoredBody,
  ): Promise<string> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const rv = await this.writeIn(client, ns, name, type, decide);
      await client.query('COMMIT');
      return rv;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async writeIn(
    client: PoolClient,
    ns: string,
    name: string,
    type: 'ADDED' | 'MODIFIED' | 'DELETED',
    decide: (current: StoredBody | undefined) => StoredBody,
  ): Promise<string> {
    const key = ['', 'configmaps', ns, name];
    const rows = await client.query<{ body: StoredBody }>(
      'SELECT body FROM bench_objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4 FOR UPDATE',
      key,
    );
    const current = rows.rows[0]?.body;
    const next = decide(current);
    const counter = await client.query<{ current: string }>(
      'UPDATE bench_counter SET current = current + 1 WHERE id = 1 RETURNING current',
    );
    const rv = counter.rows[0].current;
    const stored: StoredBody = { ...next, metadata: { ...next.metadata, resourceVersion: rv } };
    if (type === 'ADDED') {
      await client.query(
        'INSERT INTO bench_objects (api_group, resource, namespace, name, uid, resource_version, body) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [...key, stored.metadata.uid, rv, stored],
      );
    } else if (type === 'MODIFIED') {
      await client.query(
        'UPDATE bench_objects SET resource_version = $5, body = $6 WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4',
        [...key, rv, stored],
      );
    } else {
      await client.query(
        'DELETE FROM bench_objects WHERE api_group = $1 AND resource = $2 AND namespace = $3 AND name = $4',
        key,
      );
    }
    await client.query(
      'INSERT INTO bench_changes (resource_version, type, api_group, resource, namespace, name, body, prev_body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [rv, type, ...key, stored, type === 'MODIFIED' ? current : null],
    );
    await client.query("SELECT pg_notify('skiff_bench_changes', $1)", [rv]);
    return rv;
  }
}

interface StoredBody {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels: Record<string, string>;
  };
  data: Record<string, string>;
}

function configMapBody(ns: string, name: string, data: Record<string, string>): StoredBody {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: ns,
      uid: randomUUID(),
      resourceVersion: '',
      creationTimestamp: new Date().toISOString(),
      labels: { app: 'skiff-bench' },
    },
    data,
  };
}
