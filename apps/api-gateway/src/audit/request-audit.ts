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

/** An unexpected error ended the request: its audit event is stage Panic, as a recovered panic is upstream. */
export function recordPanic(req: IncomingMessage, message: string): void {
  panics.set(req, message);
}

export function requestPanic(req: IncomingMessage): string | undefined {
  return panics.get(req);
}
