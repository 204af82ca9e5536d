import { formatRfc3339InZone, nextCronTime, parseCronSchedule } from './cron-schedule';

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
