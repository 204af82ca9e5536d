// NATS JetStream contract for object change events (the outbox relay publishes, watchers consume).
// A cluster's subjects and stream are named from its NATS prefix, so clusters can share a server.

export interface ChangesStreamNames {
  stream: string;
  subjectPrefix: string;
}

export function changesStreamNames(natsPrefix: string): ChangesStreamNames {
  return { stream: `${natsPrefix.toUpperCase()}_CHANGES`, subjectPrefix: `${natsPrefix}.changes` };
}

/** `<prefix>.changes.<group or "core">.<resource>`: consumers can filter by resource. */
export function changeSubject(names: ChangesStreamNames, apiGroup: string, resource: string): string {
  return `${names.subjectPrefix}.${apiGroup === '' ? 'core' : apiGroup.replace(/\./g, '_')}.${resource}`;
}

export type ChangeEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change, in resourceVersion order. `rv` is the resourceVersion it produced. */
export interface ChangeEvent {
  rv: number;
  type: ChangeEventType;
  group: string;
  resource: string;
  namespace: string;
  name: string;
  object: Record<string, unknown>;
  /** The object before a MODIFIED change. */
  prev?: Record<string, unknown>;
}
