import { isProgrammingFault } from '@skiff/api-machinery';
import type { IncomingMessage } from 'node:http';

// What the request's handlers learn that the audit needs: the body as read, and a failure the handler did not expect.
const bodies = new WeakMap<IncomingMessage, Buffer>();
const panics = new WeakMap<IncomingMessage, string>();

/** Keeps the request body as read (readBody), for the audit's requestObject and the created object's name. */
export function recordRequestBody(req: IncomingMessage, body: Buffer): void {
  bodies.set(req, body);
}

export function requestBody(req: IncomingMessage): Buffer | undefined {
  return bodies.get(req);
}

/**
 * An error reached the edge unhandled: a programming fault (TypeError and its kin) makes the request's audit event
 * stage Panic, as a recovered panic is upstream; other failures (a database gone) stay ResponseComplete with their 500.
 */
export function recordUnhandledError(req: IncomingMessage, err: unknown): void {
  if (isProgrammingFault(err)) panics.set(req, err.message);
}

export function requestPanic(req: IncomingMessage): string | undefined {
  return panics.get(req);
}
