import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { generateJobSelector } from './batch.validation';
import { nextCronTime, parseCronSchedule } from '@skiff/api-machinery';
import { validateObject } from './validate-object';
import { resourceType, templateOf } from './spec-fixtures';

const JOB = resourceType('batch', 'Job');
const CRON = resourceType('batch', 'CronJob');
const check = (type: typeof JOB, obj: KubeObject, old?: KubeObject) =>
  validateObject(type, applyDefaults(type, obj), old ? applyDefaults(type, old) : undefined);
const job = (pod: Record<string, unknown> = { restartPolicy: 'Never' }): KubeObject => ({
  metadata: { name: 'pi', uid: 'u-1' },
  spec: { template: templateOf(pod) },
});
const cron = (spec: Record<string, unknown> = {}, name = 'nightly'): KubeObject => ({
  metadata: { name },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: { spec: { template: templateOf({ restartPolicy: 'OnFailure' }) } },
    ...spec,
  },
});

describe('Job validation', () => {
  it('accepts a Job whose selector the registry generated', () => {
    expect(check(JOB, generateJobSelector(job()))).toEqual([]);
    expect(check(JOB, job())).toEqual([]);
  });

  it('requires restartPolicy OnFailure or Never, as kubectl users know it', () => {
    expect(check(JOB, job({}))).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.template.spec.restartPolicy',
        message: 'Required value: valid values: "OnFailure", "Never"',
      },
    ]);
  });

  it('labels the template and selects on the controller uid', () => {
    const j = generateJobSelector(job());
    expect(j.spec).toMatchObject({
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
      template: {
        metadata: {
          labels: { app: 'web', 'controller-uid': 'u-1', 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi' },
        },
      },
    });
  });

  it('rejects a hand-written selector without manualSelector', () => {
    const j = { ...job(), spec: { ...(job().spec as object), selector: { matchLabels: { app: 'web' } } } };
    expect(check(JOB, j).map((c) => c.message)).toEqual([
      'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated',
    ]);
  });

  it('keeps the template immutable', () => {
    const old = generateJobSelector(job());
    const changed = generateJobSelector(job({ restartPolicy: 'OnFailure' }));
    expect(check(JOB, changed, old).map((c) => c.field)).toEqual(['spec.template']);
  });
});

describe('CronJob validation', () => {
  it('accepts standard schedules and descriptors', () => {
    for (const schedule of [
      '*/5 * * * *',
      '0 3 * * mon-fri',
      '@hourly',
      '@daily',
      '@weekly',
      '@monthly',
      '@yearly',
      '@annually',
      '@every 1h30m',
      '15 2 1,15 jan *',
    ]) {
      expect(check(CRON, cron({ schedule }))).toEqual([]);
    }
  });

  it.each([
    ['x', 'expected exactly 5 fields, found 1: [x]'],
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['a * * * *', 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
  ])('reports %s', (schedule, detail) => {
    expect(check(CRON, cron({ schedule }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.schedule',
        message: `Invalid value: ${JSON.stringify(schedule)}: ${detail}`,
      },
    ]);
  });

  it('checks timeZone and the name length', () => {
    expect(check(CRON, cron({ timeZone: 'Asia/Shanghai' }))).toEqual([]);
    expect(check(CRON, cron({ timeZone: 'Mars/Olympus' }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.timeZone',
        message: 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
      },
    ]);
    expect(check(CRON, cron({}, 'a'.repeat(53)))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`,
      },
    ]);
  });

  it('validates the job template inside', () => {
    const bad = cron({ jobTemplate: { spec: { template: templateOf() } } });
    expect(check(CRON, bad)).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.jobTemplate.spec.template.spec.restartPolicy',
        message: 'Required value: valid values: "OnFailure", "Never"',
      },
    ]);
  });
});

describe(nextCronTime.name, () => {
  it('finds the next activation in UTC', () => {
    const after = new Date('2024-01-01T10:07:30Z');
    expect(nextCronTime(parseCronSchedule('*/5 * * * *'), after)?.toISOString()).toBe('2024-01-01T10:10:00.000Z');
    expect(nextCronTime(parseCronSchedule('@daily'), after)?.toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(nextCronTime(parseCronSchedule('0 9 * * mon'), after)?.toISOString()).toBe('2024-01-08T09:00:00.000Z');
    expect(nextCronTime(parseCronSchedule('0 0 1 * *'), after)?.toISOString()).toBe('2024-02-01T00:00:00.000Z');
  });
});
