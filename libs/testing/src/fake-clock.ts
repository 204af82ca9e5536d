import { Clock } from '@skiff/api-machinery';

/** A Clock a spec drives: time moves only when told, and sleeps return at once (recorded in `slept`). */
export class FakeClock extends Clock {
  readonly slept: number[] = [];

  constructor(public ms = Date.parse('2024-03-01T10:00:00Z')) {
    super();
  }

  override now(): Date {
    return new Date(this.ms);
  }

  override nowMs(): number {
    return this.ms;
  }

  override async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
