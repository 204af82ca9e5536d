import { KubeObject } from '@skiff/api-machinery';
import { generateJobSelector } from '@skiff/api-server';
import { ResourceStrategy } from './resource-strategy';

/** Jobs: the selector (and template labels) come from the uid, before validation. */
export class JobStrategy extends ResourceStrategy {
  override prepareForCreate(job: KubeObject): KubeObject {
    return generateJobSelector(job);
  }
}

/** ReplicationControllers start with `replicas: 0` (the field has no omitempty). */
export class ReplicationControllerStrategy extends ResourceStrategy {
  protected override initialStatus(): KubeObject['status'] {
    return { replicas: 0 };
  }
}

/** PodDisruptionBudgets start with Go's JSON of the zero status (the disruption controller fills it in). */
export class PodDisruptionBudgetStrategy extends ResourceStrategy {
  protected override initialStatus(): KubeObject['status'] {
    return { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  }
}
