import { parseCronSchedule } from '@skiff/api-machinery';
import { jobNameFor, mostRecentScheduleTime } from './cron-job-schedule';

const at = (s: string) => Date.parse(s);

describe(mostRecentScheduleTime.name, () => {
  it('finds nothing before the first time, one time, or the latest of many with their count', () => {
    const hourly = parseCronSchedule('@hourly');
    expect(mostRecentScheduleTime(hourly, undefined, at('2024-03-01T10:00:00Z'), at('2024-03-01T10:59:59Z'))).toEqual({
      mostRecent: undefined,
      missed: 0,
    });
    expect(mostRecentScheduleTime(hourly, undefined, at('2024-03-01T10:00:00Z'), at('2024-03-01T11:00:00Z'))).toEqual({
      mostRecent: at('2024-03-01T11:00:00Z'),
      missed: 1,
    });
    expect(mostRecentScheduleTime(hourly, undefined, at('2024-03-01T10:00:00Z'), at('2024-03-01T15:30:00Z'))).toEqual({
      mostRecent: at('2024-03-01T15:00:00Z'),
      missed: 5,
    });
  });

  it('after a long outage still lands on the latest time without stepping through every one', () => {
    const weekdays = parseCronSchedule('*/5 9-17 * * 1-5');
    const r = mostRecentScheduleTime(weekdays, undefined, at('2023-01-01T00:00:00Z'), at('2024-03-02T12:00:00Z')); // a Saturday
    expect(r.mostRecent).toBe(at('2024-03-01T17:55:00Z'));
    expect(r.missed).toBeGreaterThan(100);
  });

  it('names Jobs by the scheduled minute', () => {
    expect(jobNameFor('report', at('2024-03-01T10:01:00Z'))).toBe('report-28488121');
  });
});
