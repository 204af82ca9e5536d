import { MigrationInterface, QueryRunner } from 'typeorm';

// network-svc's Service ClusterIP allocations (private to network-svc).
export class ClusterIpAllocations1764800000000 implements MigrationInterface {
  name = 'ClusterIpAllocations1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE cluster_ip_allocations (
      ip inet PRIMARY KEY,
      service_uid text NOT NULL UNIQUE,
      namespace text NOT NULL,
      name text NOT NULL,
      allocated_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE cluster_ip_allocations`);
  }
}
