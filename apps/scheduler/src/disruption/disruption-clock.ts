import { Injectable } from '@nestjs/common';

/** Wall-clock time for the disruption controller (eviction records age out by it); unit specs drive a fake one. */
@Injectable()
export class DisruptionClock {
  now(): number {
    return Date.now();
  }
}
