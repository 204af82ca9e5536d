import { firesOnDayOf, formatRfc3339InZone, nextCronTime, parseCronSchedule } from './cron-schedule';

const next = (spec: string, after: string, tz?: string) =>
  nextCronTime(parseCronSchedule(spec), new Date(after), tz)?.toISOString();

describe(nextCronTime.name, () => {
  it('finds the next minute, step and descriptor activations in UTC', () => {
    expect(next('*/1 * * * *', '2024-03-01T10:00:00Z')).toBe('2024-03-01T10:01:00.000Z');
    expect(next('*/15 * * * *', '2024-03-01T10:07:30Z')).toBe('2024-03-01T10:15:00.000Z');
    expect(next('@hourly', '2024-03-01T10:00:00Z')).toBe('2024-03-01T11:00:00.000Z');
    expect(next('@monthly', '2024-03-01T10:00:00Z')).toBe('2024-04-01T00:00:00.000Z');
    expect(next('0 9 * * mon', '2024-03-01T10:00:00Z')).toBe('2024-03-04T09:00:00.000Z'); // 1 March 2024 is a Friday
  });

  it('reads an @every interval from the given time, in whole seconds', () => {
    expect(next('@every 90s', '2024-03-01T10:00:00.400Z')).toBe('2024-03-01T10:01:30.000Z');
  });

  it('reads the fields as wall-clock time in an IANA time zone', () => {
    // 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC.
    expect(next('0 9 * * *', '2024-03-01T10:00:00Z', 'Asia/Tokyo')).toBe('2024-03-02T00:00:00.000Z');
    // New York: UTC-5 in winter, UTC-4 after 10 March 2024.
    expect(next('30 8 * * *', '2024-03-08T00:00:00Z', 'America/New_York')).toBe('2024-03-08T13:30:00.000Z');
    expect(next('30 8 * * *', '2024-03-11T00:00:00Z', 'America/New_York')).toBe('2024-03-11T12:30:00.000Z');
  });

  it('steps over a wall time the zone repeats when clocks go back', () => {
    // 3 November 2024, 01:30 happens twice in New York (05:30Z and 06:30Z); after the first, the next is a day later.
    expect(next('30 1 * * *', '2024-11-03T04:00:00Z', 'America/New_York')).toBe('2024-11-03T05:30:00.000Z');
    expect(next('30 1 * * *', '2024-11-03T05:30:00Z', 'America/New_York')).toBe('2024-11-04T06:30:00.000Z');
  });
});

describe(formatRfc3339InZone.name, () => {
  it('writes the instant with the zone offset in force then', () => {
    expect(formatRfc3339InZone(new Date('2024-03-02T00:00:00Z'), 'Asia/Tokyo')).toBe('2024-03-02T09:00:00+09:00');
    expect(formatRfc3339InZone(new Date('2024-03-08T13:30:00Z'), 'America/New_York')).toBe('2024-03-08T08:30:00-05:00');
    expect(formatRfc3339InZone(new Date('2024-03-08T13:30:00.250Z'))).toBe('2024-03-08T13:30:00Z');
  });
});

describe('six-field schedules (CronHPA)', () => {
  const parse = (spec: string) => parseCronSchedule(spec, { seconds: true });
  const next6 = (spec: string, after: string) => {
    const s = parse(spec);
    return nextCronTime(s, new Date(after), s.timeZone)?.toISOString();
  };

  it('reads seconds first', () => {
    expect(next6('*/5 * * * * *', '2024-03-01T10:00:01.300Z')).toBe('2024-03-01T10:00:05.000Z');
    expect(next6('30,10 * * * * *', '2024-03-01T10:00:11Z')).toBe('2024-03-01T10:00:30.000Z');
    expect(next6('30,10 * * * * *', '2024-03-01T10:00:31Z')).toBe('2024-03-01T10:01:10.000Z');
    expect(next6('0 0 8 * * 1-5', '2024-03-01T09:00:00Z')).toBe('2024-03-04T08:00:00.000Z'); // Friday → Monday
    expect(next6('0 0 8 ? * MON', '2024-03-01T09:00:00Z')).toBe('2024-03-04T08:00:00.000Z');
    expect(next6('0 30 6 1 JAN-MAR *', '2024-03-01T09:00:00Z')).toBe('2025-01-01T06:30:00.000Z');
    // Day of month and day of week both restricted: either one matches (1 April 2024 is a Monday; 5 April a Friday).
    expect(next6('0 0 0 5 * MON', '2024-03-31T12:00:00Z')).toBe('2024-04-01T00:00:00.000Z');
    expect(next6('0 0 0 5 * MON', '2024-04-01T12:00:00Z')).toBe('2024-04-05T00:00:00.000Z');
  });

  it('reads descriptors at second 0, @every from the given time, and @date once', () => {
    expect(next6('@hourly', '2024-03-01T10:00:00Z')).toBe('2024-03-01T11:00:00.000Z');
    expect(next6('@weekly', '2024-03-01T10:00:00Z')).toBe('2024-03-03T00:00:00.000Z');
    expect(next6('@annually', '2024-03-01T10:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(next6('@every 1m30s', '2024-03-01T10:00:00.700Z')).toBe('2024-03-01T10:01:30.000Z');
    expect(next6('@date 2024-03-01 21:54:00', '2024-03-01T10:00:00Z')).toBe('2024-03-01T21:54:00.000Z');
    expect(next6('@date 2024-03-01 21:54:00', '2024-03-01T21:54:00Z')).toBeUndefined();
  });

  it('reads a CRON_TZ or TZ prefix as the zone, across a DST change', () => {
    expect(parse('CRON_TZ=Asia/Shanghai 0 0 8 * * *').timeZone).toBe('Asia/Shanghai');
    expect(next6('CRON_TZ=Asia/Shanghai 0 0 8 * * *', '2024-03-01T00:00:00Z')).toBe('2024-03-02T00:00:00.000Z');
    expect(next6('TZ=America/New_York 0 0 9 * * *', '2024-03-09T15:00:00Z')).toBe('2024-03-10T13:00:00.000Z');
    // 02:30 does not exist in New York on 10 March 2024: that day is skipped, as robfig/cron v3 does.
    expect(next6('TZ=America/New_York 0 30 2 * * *', '2024-03-10T05:00:00Z')).toBe('2024-03-11T06:30:00.000Z');
    expect(next6('TZ=America/New_York 0 */30 * * * *', '2024-03-10T06:45:00Z')).toBe('2024-03-10T07:00:00.000Z');
    expect(next6('TZ=Asia/Tokyo @date 2024-03-01 09:00:00', '2024-02-01T00:00:00Z')).toBe('2024-03-01T00:00:00.000Z');
  });

  it('says what is wrong with a bad schedule', () => {
    expect(() => parse('0 8 * * *')).toThrow('expected exactly 6 fields, found 5: [0 8 * * *]');
    expect(() => parse('60 * * * * *')).toThrow('end of range (60) above maximum (59): 60');
    expect(() => parse('* * * * * FUN')).toThrow('failed to parse int from FUN');
    expect(() => parse('@fortnightly')).toThrow('unrecognized descriptor: @fortnightly');
    expect(() => parse('@every 5x')).toThrow('failed to parse duration 5x');
    expect(() => parse('@date 2024-02-30 10:00:00')).toThrow('failed to parse date 2024-02-30 10:00:00');
    expect(() => parse('CRON_TZ=Mars/Olympus 0 0 8 * * *')).toThrow(
      'provided bad location Mars/Olympus: unknown time zone Mars/Olympus',
    );
    // CronJob's five fields stay as they were.
    expect(() => parseCronSchedule('0 0 8 * * *')).toThrow('expected exactly 5 fields, found 6');
    expect(() => parseCronSchedule('@date 2024-03-01 21:54:00')).toThrow('unrecognized descriptor');
  });
});

describe(firesOnDayOf.name, () => {
  const ex = (spec: string) => parseCronSchedule(spec, { seconds: true });
  it('matches the calendar day of the instant in the zone', () => {
    expect(firesOnDayOf(ex('* * * 15 11 *'), new Date('2024-11-15T23:59:59Z'))).toBe(true);
    expect(firesOnDayOf(ex('* * * 15 11 *'), new Date('2024-11-16T00:00:00Z'))).toBe(false);
    expect(firesOnDayOf(ex('0 0 0 * * SAT,SUN'), new Date('2024-03-02T12:00:00Z'))).toBe(true);
    // 16 November 07:00 in Shanghai is still 15 November UTC.
    expect(firesOnDayOf(ex('* * * 16 11 *'), new Date('2024-11-15T23:00:00Z'), 'Asia/Shanghai')).toBe(true);
    expect(firesOnDayOf(ex('* * * 16 11 *'), new Date('2024-11-15T23:00:00Z'))).toBe(false);
  });
});
