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

/**
 * One committed change, in resourceVersion order. `rv` is the resourceVersion it produced. On the stream the bodies
 * are as stored (`Body` is then the object or, for resources encrypted at rest, its ciphertext string): only the API
 * server, which holds the keys, reads them.
 */
export interface ChangeEvent<Body = Record<string, unknown>> {
  rv: number;
  type: ChangeEventType;
  group: string;
  resource: string;
  namespace: string;
  name: string;
  object: Body;
  /** The object before a MODIFIED change. */
  prev?: Body;
}
