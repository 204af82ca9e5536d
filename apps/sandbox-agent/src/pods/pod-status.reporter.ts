import { Inject, Injectable } from '@nestjs/common';
import { Clock, deepFreeze } from '@skiff/api-machinery';
import { isNotFound } from '@skiff/kube-client';
import { PodStatus } from '@skiff/kube-types';
import { POD_API, PodApi } from '../platform/agent.providers';
import { buildPodStatus, ObservedContainer } from './container-status.builder';
import { PodRecord } from './pod-state.store';
import { sameStatus } from './status-diff';

/** Writes a pod's status as kubelet would, only when it differs from what the API already holds. */
@Injectable()
export class PodStatusReporter {
  // The status loop builds every pod's status each second and most match: a status (as JSON) already found to match
  // the API's (by object, frozen so it cannot change under the key) is not compared again.
  private readonly matched = new WeakMap<PodStatus, string>();

  constructor(
    @Inject(POD_API) private readonly pods: PodApi,
    private readonly clock: Clock,
  ) {}

  async report(record: PodRecord, observed: Map<string, ObservedContainer>): Promise<void> {
    const status: PodStatus = buildPodStatus({ pod: record.pod, record, observed, now: this.clock.now() });
    const theirs = record.pod.status;
    const json = JSON.stringify(status);
    if (theirs && this.matched.get(theirs) === json) return;
    if (sameStatus(status, theirs)) {
      if (theirs) this.matched.set(deepFreeze(theirs), json);
      return;
    }
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
