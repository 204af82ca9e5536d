import { Injectable } from '@nestjs/common';

/** Wall-clock time behind an injectable seam, so specs can fix it. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
