import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NetworkSvcConfig } from '@skiff/config';
import { Clock, errorMessage } from '@skiff/api-machinery';
import { NETWORK_SVC_CONFIG } from '../platform/config.provider';
import { EniAllocationRecord, EniAllocationRepository } from './eni-allocation.repository';
import { PodLookup } from './pod-lookup';

const PAGE = 200;

export interface SweepResult {
  checked: number;
  released: number;
  /** Allocations left alone because the API could not be asked about their pod. */
  unknown: number;
}

/**
 * Frees addresses leaked by pods that are gone (an agent that died before its release
 * call, a host that never came back). The grace period keeps a pod that the agent wired
 * before the API server showed it to us from losing its address. Replicas may sweep at
 * the same time: release is idempotent and a gone pod's uid never comes back.
 */
@Injectable()
export class EniGarbageCollector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(EniGarbageCollector.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepResult>;

  constructor(
    private readonly repo: EniAllocationRepository,
    private readonly pods: PodLookup,
    private readonly clock: Clock,
    @Inject(NETWORK_SVC_CONFIG) private readonly config: Pick<NetworkSvcConfig, 'gcGraceSeconds' | 'gcIntervalSeconds'>,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.gcIntervalSeconds <= 0) return;
    this.timer = setInterval(() => void this.sweepOnce(), this.config.gcIntervalSeconds * 1000);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over allocations older than the grace period; never overlaps itself. */
  sweepOnce(): Promise<SweepResult> {
    this.running ??= this.sweep()
      .catch((err: unknown) => {
        // A database outage: the next interval tries again.
        this.log.warn(`sweep failed: ${errorMessage(err)}`);
        return { checked: 0, released: 0, unknown: 0 };
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<SweepResult> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.gcGraceSeconds * 1000);
    const result: SweepResult = { checked: 0, released: 0, unknown: 0 };
    let after: EniAllocationRecord | undefined;
    for (;;) {
      const page = await this.repo.listAllocatedBefore(cutoff, PAGE, after);
      for (const a of page) {
        result.checked++;
        let exists: boolean;
        try {
          exists = await this.pods.exists(a.namespace, a.name, a.podUid);
        } catch {
          result.unknown++;
          continue;
        }
        if (!exists && (await this.repo.release(a.podUid))) {
          result.released++;
          this.log.log(`released ${a.ip} of gone pod ${a.namespace}/${a.name} (uid ${a.podUid}, host ${a.hostId})`);
        }
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1];
    }
    if (result.unknown > 0)
      this.log.warn(`could not ask the API about ${result.unknown} pods; their addresses are kept`);
    return result;
  }
}
