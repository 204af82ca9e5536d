// batch/v1 jobs (STATUS, COMPLETIONS, DURATION) and cronjobs.
import { KubeObject, formatLabelSelector } from '@skiff/api-machinery';
import {
  AGE_COLUMN,
  ageOf,
  column,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  nameOf,
  selectorOf,
  templateContainers,
  wideSelectorColumn,
} from './columns';
import { humanDuration, parseTimestamp, timestampSince } from './human-duration';
import { ResourcePrinter } from './table.types';
import { list, num, optBool, optNum, optStr, str } from './unstructured';

// hasJobCondition: the first condition of that type decides.
function hasJobCondition(job: KubeObject, type: string): boolean {
  const c = list(job, 'status', 'conditions').find((x) => str(x, 'type') === type);
  return c !== undefined && str(c, 'status') === 'True';
}

function jobStatus(job: KubeObject): string {
  if (hasJobCondition(job, 'Complete')) return 'Complete';
  if (hasJobCondition(job, 'Failed')) return 'Failed';
  if (typeof job.metadata?.deletionTimestamp === 'string') return 'Terminating';
  if (hasJobCondition(job, 'Suspended')) return 'Suspended';
  if (hasJobCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function completions(job: KubeObject): string {
  const succeeded = num(job, 'status', 'succeeded');
  const wanted = optNum(job, 'spec', 'completions');
  if (wanted !== undefined) return `${succeeded}/${wanted}`;
  const parallelism = optNum(job, 'spec', 'parallelism') ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: KubeObject, now: Date): string {
  const start = parseTimestamp(optStr(job, 'status', 'startTime'));
  if (!start) return '';
  const end = parseTimestamp(optStr(job, 'status', 'completionTime')) ?? now;
  return humanDuration(end.getTime() - start.getTime());
}

export const jobPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wideSelectorColumn('A label query over pods that should match the pod count.'),
  ],
  cells: (job, { now }) => [
    nameOf(job),
    jobStatus(job),
    completions(job),
    jobDuration(job, now),
    ageOf(job, now),
    ...templateContainers(job, 'spec', 'template'),
    formatLabelSelector(selectorOf(job, 'spec', 'selector')),
  ],
};

function boolPtr(value: boolean | undefined): string {
  if (value === undefined) return '<unset>';
  return value ? 'True' : 'False';
}

export const cronJobPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column(
      'Timezone',
      'string',
      'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
    ),
    column(
      'Suspend',
      'boolean',
      'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
    ),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wideSelectorColumn('A label query over pods that should match the pod count.'),
  ],
  cells: (cj, { now }) => {
    const lastSchedule = optStr(cj, 'status', 'lastScheduleTime');
    return [
      nameOf(cj),
      str(cj, 'spec', 'schedule'),
      optStr(cj, 'spec', 'timeZone') ?? '<none>',
      boolPtr(optBool(cj, 'spec', 'suspend')),
      list(cj, 'status', 'active').length,
      lastSchedule === undefined ? '<none>' : timestampSince(lastSchedule, now),
      ageOf(cj, now),
      ...templateContainers(cj, 'spec', 'jobTemplate', 'spec', 'template'),
      formatLabelSelector(selectorOf(cj, 'spec', 'jobTemplate', 'spec', 'selector')),
    ];
  },
};
