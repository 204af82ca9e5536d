import { AuditLevel, AuditStage } from './audit-policy';

/** audit.k8s.io/v1 ObjectReference. */
export interface AuditObjectRef {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

export interface AuditResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  code: number;
}

/** audit.k8s.io/v1 Event, fields in kube-apiserver's order. */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: AuditLevel;
  auditID: string;
  stage: AuditStage;
  requestURI: string;
  verb: string;
  user: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: AuditObjectRef;
  responseStatus?: AuditResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

/** What the API server gathered about one request; a stage turns it into an Event. */
export interface AuditRecord {
  auditID: string;
  level: Exclude<AuditLevel, 'None'>;
  omitManagedFields: boolean;
  requestURI: string;
  verb: string;
  user: AuditEvent['user'];
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: AuditObjectRef;
  receivedAt: Date;
  responseStatus?: AuditResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
}

/**
 * The Event for a stage, by level as kube-apiserver fills it: Metadata carries who, what and the outcome; Request adds
 * the request body; RequestResponse the response body too (both only once the response is complete).
 */
export function auditEvent(record: AuditRecord, stage: AuditStage, at: Date): AuditEvent {
  const complete = stage === 'ResponseComplete' || stage === 'Panic';
  const withObjects = complete && record.level !== 'Metadata';
  const objectOf = (o: unknown): unknown => (record.omitManagedFields ? withoutManagedFields(o) : o);
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: record.level,
    auditID: record.auditID,
    stage,
    requestURI: record.requestURI,
    verb: record.verb,
    user: record.user,
    sourceIPs: record.sourceIPs,
    ...(record.userAgent !== undefined ? { userAgent: record.userAgent } : {}),
    ...(record.objectRef ? { objectRef: record.objectRef } : {}),
    ...(stage !== 'RequestReceived' && record.responseStatus ? { responseStatus: record.responseStatus } : {}),
    ...(withObjects && record.requestObject !== undefined ? { requestObject: objectOf(record.requestObject) } : {}),
    ...(withObjects && record.level === 'RequestResponse' && record.responseObject !== undefined
      ? { responseObject: objectOf(record.responseObject) }
      : {}),
    requestReceivedTimestamp: formatMicroTime(record.receivedAt),
    stageTimestamp: formatMicroTime(stage === 'RequestReceived' ? record.receivedAt : at),
  };
}

/** metav1.MicroTime as it is serialised: RFC 3339 with six fractional digits, UTC. */
export function formatMicroTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

// omitManagedFields: the object, or each item of a list, without metadata.managedFields.
function withoutManagedFields(o: unknown): unknown {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
  const obj = o as { metadata?: Record<string, unknown>; items?: unknown[] };
  const out: Record<string, unknown> = { ...obj };
  if (obj.metadata && 'managedFields' in obj.metadata) {
    const metadata = { ...obj.metadata };
    delete metadata.managedFields;
    out.metadata = metadata;
  }
  if (Array.isArray(obj.items)) out.items = obj.items.map(withoutManagedFields);
  return out;
}
