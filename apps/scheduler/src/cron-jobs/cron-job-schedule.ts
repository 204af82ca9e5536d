import { CronSchedule, nextCronTime } from '@skiff/api-machinery';

// Upstream warns past this many missed start times (and still starts only the latest).
export const TOO_MANY_MISSED = 100;
// Counting misses one by one stops here; beyond it only the most recent time matters.
const COUNT_LIMIT = 1000;

export interface MissedSchedules {
  /** The latest schedule time at or before now that is due (undefined: nothing due). */
  mostRecent?: number;
  /** How many schedule times were missed since the earliest time considered (capped, > TOO_MANY_MISSED means "many"). */
  missed: number;
}

/**
 * Upstream's mostRecentScheduleTime: schedule times after `earliest` (the last schedule time,
 * else the CronJob's creation, moved up to now - startingDeadlineSeconds) up to `now`.
 */
export function mostRecentScheduleTime(
  schedule: CronSchedule,
  timeZone: string | undefined,
  earliest: number,
  now: number,
): MissedSchedules {
  const next = (t: number) => nextCronTime(schedule, new Date(t), timeZone)?.getTime();
  let t = next(earliest);
  let mostRecent: number | undefined;
  let missed = 0;
  while (t !== undefined && t <= now) {
    mostRecent = t;
    missed++;
    if (missed >= COUNT_LIMIT) return { mostRecent: latestBefore(schedule, timeZone, t, now), missed };
    t = next(t);
  }
  return { mostRecent, missed };
}

/** The latest schedule time in (from, now], found by widening windows back from now (no stepping through years of minutes). */
function latestBefore(schedule: CronSchedule, timeZone: string | undefined, from: number, now: number): number {
  for (let window = 60_000; ; window *= 2) {
    let t = nextCronTime(schedule, new Date(Math.max(from, now - window)), timeZone)?.getTime();
    if (t === undefined || t > now) {
      if (now - window <= from) return from;
      continue;
    }
    let latest = t;
    while (t !== undefined && t <= now) {
      latest = t;
      t = nextCronTime(schedule, new Date(t), timeZone)?.getTime();
    }
    return latest;
  }
}

/** When the controller should look again: the next schedule time after now. */
export function nextScheduleTime(
  schedule: CronSchedule,
  timeZone: string | undefined,
  now: number,
): number | undefined {
  return nextCronTime(schedule, new Date(now), timeZone)?.getTime();
}

/** Upstream's getJobName: the scheduled time in minutes since the epoch makes the name deterministic. */
export function jobNameFor(cronJobName: string, scheduledTime: number): string {
  return `${cronJobName}-${Math.floor(scheduledTime / 60000)}`;
}
