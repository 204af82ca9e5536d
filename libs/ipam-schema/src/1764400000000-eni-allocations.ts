import { MigrationInterface, QueryRunner } from 'typeorm';

// network-svc's private IPAM tables (docs/architecture.md: only network-svc touches them).
export class EniAllocations1764400000000 implements MigrationInterface {
  name = 'EniAllocations1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE eni_allocations (
      ip inet PRIMARY KEY,
      pod_uid text NOT NULL UNIQUE,
      namespace text NOT NULL,
      name text NOT NULL,
      host_id text NOT NULL,
      allocated_at timestamptz NOT NULL DEFAULT now()
    )`);
    // The garbage collector scans oldest first.
    await q.query(`CREATE INDEX eni_allocations_allocated_at ON eni_allocations (allocated_at)`);
    await q.query(`CREATE TABLE ipam_cursors (cidr cidr PRIMARY KEY, next_offset bigint NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ipam_cursors`);
    await q.query(`DROP TABLE eni_allocations`);
  }
}
