import { Inject, Injectable } from '@nestjs/common';
import { Clock, metaTime } from '@skiff/api-machinery';
import { Pod } from '@skiff/kube-types';
import { POD_MANAGER_CONFIG } from '../platform/agent.providers';
import { PodManagerConfig } from './pod-manager.config';
import { PodRecords } from './pod-records';
import { PodRecord, PodStateStore, RuntimeKind } from './pod-state.store';

/**
 * A pod new to this host: the runtime its RuntimeClass names, its record saved. Its address is asked for when
 * its sandbox is made (PodLifecycle), beside the netns.
 */
@Injectable()
export class PodAdmission {
  constructor(
    @Inject(POD_MANAGER_CONFIG) private readonly config: PodManagerConfig,
    private readonly store: PodStateStore,
    private readonly records: PodRecords,
    private readonly clock: Clock,
  ) {}

  async admit(pod: Pod): Promise<PodRecord> {
    const record: PodRecord = {
      uid: pod.metadata.uid!,
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name!,
      runtime: this.runtimeKind(pod),
      startTime: pod.status?.startTime ?? metaTime(this.clock.nowMs()),
      containers: {},
      pod,
    };
    this.records.set(record);
    await this.store.save(record);
    return record;
  }

  private runtimeKind(pod: Pod): RuntimeKind {
    const cls = pod.spec.runtimeClassName ?? this.config.defaultRuntimeClass;
    return cls === 'gvisor' ? 'runsc' : 'runc';
  }
}
