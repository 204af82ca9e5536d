import type { IncomingMessage } from 'node:http';

const annotations = new WeakMap<IncomingMessage, Record<string, string>>();

/** Admission's notes for the request's audit event (audit.k8s.io/v1 Event.annotations). */
export function addAuditAnnotations(req: IncomingMessage, add: Record<string, string> | undefined): void {
  if (!add || Object.keys(add).length === 0) return;
  annotations.set(req, { ...annotations.get(req), ...add });
}

/** What admission noted for the request's audit event; undefined when nothing. */
export function auditAnnotations(req: IncomingMessage): Record<string, string> | undefined {
  return annotations.get(req);
}
