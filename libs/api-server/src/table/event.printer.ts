// Events, core/v1 and events.k8s.io/v1: both print through one core-shaped view, as upstream
// converts events.k8s.io objects to the internal core Event before printing.
import { KubeObject } from '@skiff/api-machinery';
import { column, NAME_DESCRIPTION, nameOf } from './columns';
import { timestampSince } from './human-duration';
import { ResourcePrinter, TableCell } from './table.types';
import { Json, num, optNum, optStr, record, str } from './unstructured';

interface EventView {
  involvedObject: Json;
  source: Json;
  reportingController: string;
  reportingInstance: string;
  message: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count: number;
  series?: Json;
}

function coreView(ev: KubeObject): EventView {
  return {
    involvedObject: record(ev, 'involvedObject'),
    source: record(ev, 'source'),
    reportingController: str(ev, 'reportingComponent'),
    reportingInstance: str(ev, 'reportingInstance'),
    message: str(ev, 'message'),
    firstTimestamp: optStr(ev, 'firstTimestamp'),
    lastTimestamp: optStr(ev, 'lastTimestamp'),
    eventTime: optStr(ev, 'eventTime'),
    count: num(ev, 'count'),
    series: record(ev, 'series'),
  };
}

// events.k8s.io/v1 field names for the same data (Convert_v1_Event_To_core_Event).
function eventsV1View(ev: KubeObject): EventView {
  return {
    involvedObject: record(ev, 'regarding'),
    source: record(ev, 'deprecatedSource'),
    reportingController: str(ev, 'reportingController'),
    reportingInstance: str(ev, 'reportingInstance'),
    message: str(ev, 'note'),
    firstTimestamp: optStr(ev, 'deprecatedFirstTimestamp'),
    lastTimestamp: optStr(ev, 'deprecatedLastTimestamp'),
    eventTime: optStr(ev, 'eventTime'),
    count: num(ev, 'deprecatedCount'),
    series: record(ev, 'series'),
  };
}

// formatEventSource: component (or reportingController), then host (or reportingInstance).
function eventSource(v: EventView): string {
  const component = str(v.source, 'component') || v.reportingController;
  const instance = str(v.source, 'host') || v.reportingInstance;
  return instance ? `${component}, ${instance}` : component;
}

function eventCells(ev: KubeObject, v: EventView, now: Date): TableCell[] {
  const firstSeen = v.firstTimestamp ? timestampSince(v.firstTimestamp, now) : timestampSince(v.eventTime, now);
  let lastSeen = v.lastTimestamp ? timestampSince(v.lastTimestamp, now) : firstSeen;
  let count = v.count;
  if (v.series !== undefined) {
    lastSeen = timestampSince(optStr(v.series, 'lastObservedTime'), now);
    count = optNum(v.series, 'count') ?? 0;
  } else if (count === 0) {
    // Singleton events don't have a count set in the new API.
    count = 1;
  }
  const kind = str(v.involvedObject, 'kind').toLowerCase();
  const name = str(v.involvedObject, 'name');
  return [
    lastSeen,
    str(ev, 'type'),
    str(ev, 'reason'),
    name ? `${kind}/${name}` : kind,
    str(v.involvedObject, 'fieldPath'),
    eventSource(v),
    v.message.trim(),
    firstSeen,
    count,
    nameOf(ev),
  ];
}

const EVENT_COLUMNS = [
  column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column(
    'Reason',
    'string',
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  ),
  column('Object', 'string', 'The object that this event is about.'),
  column(
    'Subobject',
    'string',
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
    1,
  ),
  column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
  column('Message', 'string', 'A human-readable description of the status of this operation.'),
  column(
    'First Seen',
    'string',
    'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
    1,
  ),
  column('Count', 'string', 'The number of times this event has occurred.', 1),
  column('Name', 'string', NAME_DESCRIPTION, 1, 'name'),
];

export const eventPrinter: ResourcePrinter = {
  columns: EVENT_COLUMNS,
  cells: (ev, { now }) => eventCells(ev, coreView(ev), now),
};

export const eventsV1EventPrinter: ResourcePrinter = {
  columns: EVENT_COLUMNS,
  cells: (ev, { now }) => eventCells(ev, eventsV1View(ev), now),
};
