// Cron schedules as robfig/cron v3 reads them: CronJob's ParseStandard (5 fields or a descriptor), and with
// `seconds` the 6-field form ASK's CronHPA uses (seconds first), plus its one-shot `@date YYYY-MM-DD HH:MM:SS`.

export interface CronSchedule {
  /** {0} for 5-field schedules. */
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** `*` or `?` in day-of-month / day-of-week: the other day field alone decides. */
  domStar: boolean;
  dowStar: boolean;
  /** `@every <duration>` schedules: fixed interval in milliseconds. */
  everyMs?: number;
  /** `@date` schedules: the one wall-clock time (ms, UTC fields = local fields) they fire at. */
  dateWallMs?: number;
  /** From a `CRON_TZ=`/`TZ=` prefix; nextCronTime uses it only when the caller passes it. */
  timeZone?: string;
}

export interface CronParseOptions {
  /** 6 fields, seconds first, and `@date` (CronHPA); otherwise exactly 5 (CronJob). */
  seconds?: boolean;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const DOW_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const SECONDS: Bounds = { min: 0, max: 59 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DOW_NAMES },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[+-]?[0-9]+$/.test(expr))
    throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseRange(expr: string, b: Bounds, into: Set<number>): void {
  const [rangeAndStep, ...rest] = [expr.split('/')[0], ...expr.split('/').slice(1)];
  if (rest.length > 1) throw new Error(`too many slashes: ${expr}`);
  const lowAndHigh = rangeAndStep.split('-');
  let start: number;
  let end: number;
  let step = 1;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
  } else {
    start = parseIntOrName(lowAndHigh[0], b.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], b.names);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  if (rest.length === 1) {
    step = parseIntOrName(rest[0]);
    // "N/step" means N through the maximum.
    if (lowAndHigh.length === 1 && lowAndHigh[0] !== '*' && lowAndHigh[0] !== '?') end = b.max;
  }
  if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) into.add(i);
}

function parseField(field: string, b: Bounds): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) parseRange(part, b, out);
  return out;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Go's time.ParseDuration in milliseconds (`@every 1h30m`, Helm's `--timeout 90s`, Flux's `interval: 10m`). */
export function parseGoDuration(s: string): number {
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || s.length === 0)
    throw new Error(`failed to parse duration ${s}: time: invalid duration ${JSON.stringify(s)}`);
  return total;
}

/** Parses a schedule; throws an Error whose message is robfig/cron's, as upstream reports it. */
export function parseCronSchedule(input: string, opts: CronParseOptions = {}): CronSchedule {
  let spec = input.trim();
  if (spec.length === 0) throw new Error('empty spec string');
  let timeZone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const sp = spec.indexOf(' ');
    const name = spec.slice(spec.indexOf('=') + 1, sp < 0 ? undefined : sp);
    if (opts.seconds) {
      if (!isTimeZone(name)) throw new Error(`provided bad location ${name}: unknown time zone ${name}`);
      timeZone = name;
    }
    spec = sp < 0 ? '' : spec.slice(sp).trim();
  }
  const all = (b: Bounds) => parseField('*', b);
  const always = { minutes: all(FIELDS[0]), hours: all(FIELDS[1]), daysOfMonth: all(FIELDS[2]) };
  const anyDay = { months: all(FIELDS[3]), daysOfWeek: all(FIELDS[4]), domStar: true, dowStar: true, timeZone };
  if (spec.startsWith('@every ')) {
    const ms = parseGoDuration(spec.slice('@every '.length).trim());
    return { seconds: all(SECONDS), ...always, ...anyDay, everyMs: ms };
  }
  if (opts.seconds && spec.startsWith('@date ')) {
    const at = spec.slice('@date '.length).trim();
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(at);
    const wall = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
    if (!m || new Date(wall).toISOString().slice(0, 19) !== `${at.slice(0, 10)}T${at.slice(11)}`)
      throw new Error(`failed to parse date ${at}: expected YYYY-MM-DD HH:MM:SS`);
    return { seconds: all(SECONDS), ...always, ...anyDay, dateWallMs: wall };
  }
  if (spec.startsWith('@')) {
    const d = DESCRIPTORS[spec];
    if (!d) throw new Error(`unrecognized descriptor: ${spec}`);
    spec = d;
    if (opts.seconds) spec = `0 ${spec}`;
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  const want = opts.seconds ? 6 : 5;
  if (fields.length !== want)
    throw new Error(`expected exactly ${want} fields, found ${fields.length}: [${fields.join(' ')}]`);
  const seconds = opts.seconds ? parseField(fields.shift()!, SECONDS) : new Set([0]);
  const [mi, h, dom, mo, dow] = fields.map((f, i) => parseField(f, FIELDS[i]));
  const star = (f: string) => f.startsWith('*') || f.startsWith('?');
  // Sunday may also be written 7 in some crons; robfig rejects it (max 6), and so do we.
  return {
    seconds,
    minutes: mi,
    hours: h,
    daysOfMonth: dom,
    months: mo,
    daysOfWeek: dow,
    domStar: star(fields[2]),
    dowStar: star(fields[4]),
    timeZone,
  };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name.length > 0;
  } catch {
    return false;
  }
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const domOk = s.daysOfMonth.has(d.getUTCDate());
  const dowOk = s.daysOfWeek.has(d.getUTCDay());
  if (s.domStar || s.dowStar) return domOk && dowOk;
  return domOk || dowOk;
}

/**
 * The first activation strictly after `after`, reading the fields as wall-clock time in
 * `timeZone` (an IANA name; UTC when absent); undefined if none within five years.
 */
export function nextCronTime(s: CronSchedule, after: Date, timeZone?: string): Date | undefined {
  if (s.everyMs !== undefined)
    return new Date(Math.floor(after.getTime() / 1000) * 1000 + Math.max(Math.floor(s.everyMs / 1000) * 1000, 1000));
  if (s.dateWallMs !== undefined) {
    const at = isUtc(timeZone) ? s.dateWallMs : wallToInstant(timeZone!, s.dateWallMs);
    return at > after.getTime() ? new Date(at) : undefined;
  }
  if (isUtc(timeZone)) return nextUtcTime(s, after);
  // Search in wall-clock time (a Date whose UTC fields are the zone's local fields), then map
  // back; a wall time the zone repeats (DST fall-back) maps to its first instant, so step on.
  let wall = new Date(after.getTime() + zoneOffsetMs(timeZone!, after.getTime()));
  for (let i = 0; i < 4; i++) {
    const next = nextUtcTime(s, wall);
    if (!next) return undefined;
    const instant = wallToInstant(timeZone!, next.getTime());
    // A wall time the zone skips (DST spring-forward) does not run, as in robfig/cron v3.
    const offset = zoneOffsetMs(timeZone!, instant);
    if (instant + offset !== next.getTime()) {
      // Go on from the first wall time after the gap.
      const afterGap = next.getTime() - offset;
      wall = new Date(afterGap + zoneOffsetMs(timeZone!, afterGap) - 1000);
      continue;
    }
    if (instant > after.getTime()) return new Date(instant);
    wall = next;
  }
  return undefined;
}

function isUtc(timeZone: string | undefined): boolean {
  return !timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC';
}

/** Whether `s` fires at some time on the calendar day (in `timeZone`) that holds `instant`: CronHPA's excludeDates. */
export function firesOnDayOf(s: CronSchedule, instant: Date, timeZone?: string): boolean {
  const offset = isUtc(timeZone) ? 0 : zoneOffsetMs(timeZone!, instant.getTime());
  const dayWall = Math.floor((instant.getTime() + offset) / 86_400_000) * 86_400_000;
  const toInstant = (wall: number) => (isUtc(timeZone) ? wall : wallToInstant(timeZone!, wall));
  const next = nextCronTime(s, new Date(toInstant(dayWall) - 1000), timeZone);
  return next !== undefined && next.getTime() < toInstant(dayWall + 86_400_000);
}

const ZONE_FORMATS = new Map<string, Intl.DateTimeFormat>();

/** Local time minus UTC in `timeZone` at `instant` (Intl knows the zone's rules). */
function zoneOffsetMs(timeZone: string, instant: number): number {
  let fmt = ZONE_FORMATS.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    ZONE_FORMATS.set(timeZone, fmt);
  }
  const f: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(instant))) if (p.type !== 'literal') f[p.type] = Number(p.value);
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** RFC 3339 with the zone's offset at that instant (Go's Time.In(zone).Format(time.RFC3339)); `Z` for UTC. */
export function formatRfc3339InZone(instant: Date, timeZone?: string): string {
  const secs = Math.floor(instant.getTime() / 1000) * 1000;
  const offset = timeZone ? zoneOffsetMs(timeZone, secs) : 0;
  const wall = new Date(secs + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${wall}Z`;
  const mins = Math.abs(offset) / 60000;
  return `${wall}${offset < 0 ? '-' : '+'}${String(Math.floor(mins / 60)).padStart(2, '0')}:${String(mins % 60).padStart(2, '0')}`;
}

function wallToInstant(timeZone: string, wall: number): number {
  const guess = wall - zoneOffsetMs(timeZone, wall);
  return wall - zoneOffsetMs(timeZone, guess);
}

function nextUtcTime(s: CronSchedule, after: Date): Date | undefined {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
  while (t.getTime() <= limit) {
    if (!s.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(s, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!s.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!s.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else if (!s.seconds.has(t.getUTCSeconds())) {
      const sec = Math.min(...[...s.seconds].filter((x) => x > t.getUTCSeconds()));
      if (sec === Infinity) t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      else t.setUTCSeconds(sec, 0);
    } else return t;
  }
  return undefined;
}
