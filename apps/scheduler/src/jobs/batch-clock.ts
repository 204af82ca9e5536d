import { Injectable } from '@nestjs/common';

/** Wall-clock time for the Job and CronJob controllers; unit specs drive a fake one. */
@Injectable()
export class BatchClock {
  now(): number {
    return Date.now();
  }
}
