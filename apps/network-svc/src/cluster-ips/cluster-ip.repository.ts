import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@skiff/persistence';
import { translateDatabaseError } from '../ipam/eni-allocation.repository';

export interface ClusterIpRecord {
  ip: string;
  serviceUid: string;
  namespace: string;
  name: string;
  allocatedAt: Date;
}

interface Row {
  ip: string;
  service_uid: string;
  namespace: string;
  name: string;
  allocated_at: Date;
}

const COLUMNS = 'host(ip) AS ip, service_uid, namespace, name, allocated_at';

function toRecord(r: Row): ClusterIpRecord {
  return { ip: r.ip, serviceUid: r.service_uid, namespace: r.namespace, name: r.name, allocatedAt: r.allocated_at };
}

/** network-svc's private `cluster_ip_allocations` table. Abstract so specs can put an in-memory one in. */
export abstract class ClusterIpRepository {
  abstract findByServiceUid(serviceUid: string): Promise<ClusterIpRecord | undefined>;
  abstract isTaken(ip: string): Promise<boolean>;
  /** Held addresses in [fromIp, toIp]. */
  abstract takenBetween(fromIp: string, toIp: string): Promise<string[]>;
  /** Inserts unless the address or the Service already has a row; true when this call inserted it. */
  abstract insert(r: Omit<ClusterIpRecord, 'allocatedAt'>, allocatedAt: Date): Promise<boolean>;
  abstract releaseByServiceUid(serviceUid: string): Promise<boolean>;
  abstract listAll(): Promise<ClusterIpRecord[]>;
}

@Injectable()
export class TypeOrmClusterIpRepository extends ClusterIpRepository {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {
    super();
  }

  async findByServiceUid(serviceUid: string): Promise<ClusterIpRecord | undefined> {
    const rows: Row[] = await this.query(`SELECT ${COLUMNS} FROM cluster_ip_allocations WHERE service_uid = $1`, [
      serviceUid,
    ]);
    return rows[0] && toRecord(rows[0]);
  }

  async isTaken(ip: string): Promise<boolean> {
    const rows: unknown[] = await this.query(`SELECT 1 FROM cluster_ip_allocations WHERE ip = $1::inet`, [ip]);
    return rows.length > 0;
  }

  async takenBetween(fromIp: string, toIp: string): Promise<string[]> {
    const rows: { ip: string }[] = await this.query(
      `SELECT host(ip) AS ip FROM cluster_ip_allocations WHERE ip BETWEEN $1::inet AND $2::inet`,
      [fromIp, toIp],
    );
    return rows.map((r) => r.ip);
  }

  async insert(r: Omit<ClusterIpRecord, 'allocatedAt'>, allocatedAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.query(
      `INSERT INTO cluster_ip_allocations (ip, service_uid, namespace, name, allocated_at)
       VALUES ($1::inet, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING ip`,
      [r.ip, r.serviceUid, r.namespace, r.name, allocatedAt],
    );
    return rows.length > 0;
  }

  async releaseByServiceUid(serviceUid: string): Promise<boolean> {
    const rows: unknown[] = await this.query(`DELETE FROM cluster_ip_allocations WHERE service_uid = $1 RETURNING ip`, [
      serviceUid,
    ]);
    return rows.length > 0;
  }

  async listAll(): Promise<ClusterIpRecord[]> {
    const rows: Row[] = await this.query(`SELECT ${COLUMNS} FROM cluster_ip_allocations ORDER BY allocated_at`, []);
    return rows.map(toRecord);
  }

  private async query<T>(sql: string, params: unknown[]): Promise<T> {
    try {
      return (await this.ds.query(sql, params)) as T;
    } catch (err) {
      throw translateDatabaseError(err);
    }
  }
}
