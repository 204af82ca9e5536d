import { request } from 'node:https';
import { KubeCredentials } from '@skiff/kube-client';
import { RunningStack } from '@skiff/stack';

/** Where and as whom a test calls an HTTPS endpoint: a RunningStack is the admin at the API server. */
export type ApiCaller = { server: string; ca: Buffer } & KubeCredentials;

export interface ApiResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request (a path is resolved against the caller's server), JSON in and out. */
export function apiRequest(
  stack: ApiCaller,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload =
      body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = request(
      new URL(path, stack.server),
      {
        method,
        ca: stack.ca,
        ...('cert' in stack ? { cert: stack.cert, key: stack.key } : {}),
        headers: {
          ...('token' in stack ? { authorization: `Bearer ${stack.token}` } : {}),
          accept: 'application/json',
          // Explicit length: Node sends DELETE bodies without one otherwise.
          ...(payload !== undefined
            ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface WatchEventLine {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string }; [k: string]: unknown };
}

/** Opens a watch and collects its events until `close()` or the server ends it. */
export function openWatch(
  stack: RunningStack,
  path: string,
): { events: WatchEventLine[]; ended: Promise<void>; close: () => void } {
  const events: WatchEventLine[] = [];
  let close: () => void = () => undefined;
  const ended = new Promise<void>((resolve, reject) => {
    const req = request(
      new URL(path, stack.server),
      { ca: stack.ca, headers: { authorization: `Bearer ${stack.token}` } },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)) as WatchEventLine);
            buf = buf.slice(i + 1);
          }
        });
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      },
    );
    req.on('error', (err) => (events.length ? resolve() : reject(err)));
    close = () => {
      req.destroy();
      resolve();
    };
    req.end();
  });
  return { events, ended, close: () => close() };
}
