import { Injectable } from '@nestjs/common';
import { PodRecord } from './pod-state.store';

/** The pods this agent runs, by uid: what admission adds, sync converges and removes, adoption reloads. */
@Injectable()
export class PodRecords {
  private readonly byUid = new Map<string, PodRecord>();

  get(uid: string): PodRecord | undefined {
    return this.byUid.get(uid);
  }

  has(uid: string): boolean {
    return this.byUid.has(uid);
  }

  set(record: PodRecord): void {
    this.byUid.set(record.uid, record);
  }

  delete(uid: string): void {
    this.byUid.delete(uid);
  }

  all(): PodRecord[] {
    return [...this.byUid.values()];
  }
}
