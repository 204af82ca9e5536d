import { Injectable } from '@nestjs/common';

/** Wall-clock time and waiting behind an injectable seam, so specs can drive them. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
