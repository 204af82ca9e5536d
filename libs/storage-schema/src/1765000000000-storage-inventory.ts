import { MigrationInterface, QueryRunner } from 'typeorm';

// storage-svc's inventory of cloud disks and NAS file systems (private to storage-svc).
export class StorageInventory1765000000000 implements MigrationInterface {
  name = 'StorageInventory1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE disks (
      id text PRIMARY KEY,
      category text NOT NULL,
      size_bytes bigint NOT NULL,
      fs_type text NOT NULL,
      zone text,
      pv_name text UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE nas_file_systems (
      id text PRIMARY KEY,
      server text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE nas_file_systems`);
    await q.query(`DROP TABLE disks`);
  }
}
