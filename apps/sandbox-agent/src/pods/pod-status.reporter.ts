import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { isNotFound } from '@skiff/kube-client';
import { PodStatus } from '@skiff/kube-types';
import { POD_API, PodApi } from '../platform/agent.providers';
import { buildPodStatus, ObservedContainer } from './container-status.builder';
import { PodRecord } from './pod-state.store';
import { sameStatus } from './status-diff';

/** Writes a pod's status as kubelet would, only when it differs from what the API already holds. */
@Injectable()
export class PodStatusReporter {
  constructor(
    @Inject(POD_API) private readonly pods: PodApi,
    private readonly clock: Clock,
  ) {}

  async report(record: PodRecord, observed: Map<string, ObservedContainer>): Promise<void> {
    const status: PodStatus = buildPodStatus({ pod: record.pod, record, observed, now: this.clock.now() });
    if (sameStatus(status, record.pod.status)) return;
    try {
      const updated = await this.pods.patchStatus(record.namespace, record.name, { status }, 'merge', {
        fieldManager: 'skiff-sandbox-agent',
      });
      if (updated.metadata.uid === record.uid) record.pod = updated;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
