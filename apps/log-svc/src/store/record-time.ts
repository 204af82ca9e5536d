const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** A record's time as the store keeps it: Postgres' timestamptz holds microseconds, `time_nanos` the rest. */
export interface RecordTime {
  /** RFC 3339, UTC, to the microsecond. */
  time: string;
  timeMs: number;
  /** The nanoseconds below the microsecond (0–999). */
  nanos: number;
}

/** RFC 3339 with up to nanoseconds → UTC to the microsecond (what timestamptz keeps), and the nanoseconds left. */
export function timeOf(text: string | undefined): RecordTime | undefined {
  const m = text ? RFC3339.exec(text) : null;
  if (!m) return undefined;
  const [, date, clock, fraction = '', zone] = m;
  const seconds = Date.parse(`${date}T${clock}${zone.toUpperCase()}`);
  if (Number.isNaN(seconds)) return undefined;
  const digits = fraction.padEnd(9, '0');
  const micros = digits.slice(0, 6);
  return {
    time: `${new Date(seconds).toISOString().slice(0, 19)}.${micros}Z`,
    timeMs: seconds + Number(digits.slice(0, 3)),
    nanos: Number(digits.slice(6)),
  };
}

/** `2025-06-01T10:00:00.123456` (UTC, as the store selects it) and the nanoseconds → RFC 3339 with nanoseconds. */
export function recordTimeText(micros: string, nanos: number): string {
  return `${micros}${String(nanos).padStart(3, '0')}Z`;
}
