import { MigrationInterface, QueryRunner } from 'typeorm';

export class ObjectStore1764129600000 implements MigrationInterface {
  name = 'ObjectStore1764129600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE objects (
      api_group text NOT NULL,
      resource text NOT NULL,
      namespace text NOT NULL,
      name text NOT NULL,
      uid uuid NOT NULL,
      resource_version bigint NOT NULL,
      body jsonb NOT NULL,
      PRIMARY KEY (api_group, resource, namespace, name)
    )`);
    await q.query(`CREATE TABLE object_changes (
      resource_version bigint PRIMARY KEY,
      type text NOT NULL,
      api_group text NOT NULL,
      resource text NOT NULL,
      namespace text NOT NULL,
      name text NOT NULL,
      body jsonb NOT NULL,
      prev_body jsonb,
      committed_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE resource_version_counter (id int PRIMARY KEY, current bigint NOT NULL)`);
    await q.query(`INSERT INTO resource_version_counter (id, current) VALUES (1, 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE resource_version_counter`);
    await q.query(`DROP TABLE object_changes`);
    await q.query(`DROP TABLE objects`);
  }
}
