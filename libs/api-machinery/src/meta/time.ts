/** metav1.Time: RFC 3339 in whole seconds, as the API writes timestamps. */
export function metaTime(d: Date | number = Date.now()): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Wall-clock time and waiting behind an injectable seam, so specs can drive them (one Clock for every service). */
export class Clock {
  now(): Date {
    return new Date();
  }

  nowMs(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
