import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';

export interface KubeEndpoint {
  server: string;
  ca: Buffer;
  token: string;
}

export interface KubeReply<T> {
  status: number;
  body: T;
}

/** A non-2xx answer, with what the gateway said. */
export class KubeRequestError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeObjectLike {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface KubeListLike {
  metadata: { resourceVersion: string };
  items: KubeObjectLike[];
}

/**
 * Minimal JSON client over one keep-alive agent: a bench must measure the API server, not
 * a TLS handshake per call (which is what apiRequest in @skiff/testing does).
 */
export class KubeHttpClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    private readonly endpoint: KubeEndpoint,
    maxSockets: number,
  ) {
    this.url = new URL(endpoint.server);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ca: endpoint.ca });
  }

  send<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeReply<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.endpoint.token}`,
            accept: 'application/json',
            ...(payload !== undefined
              ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(new KubeRequestError(method, path, status, statusMessage(text)));
              return;
            }
            try {
              resolve({ status, body: JSON.parse(text) as T });
            } catch {
              reject(new KubeRequestError(method, path, status, `non-JSON body: ${text.slice(0, 200)}`));
            }
          });
        },
      );
      req.on('error', (err) => reject(new KubeRequestError(method, path, 0, err.message)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function statusMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not a Status
  }
  return text.slice(0, 200);
}

/** Called per watch line with the receive time (performance.now()) taken before parsing. */
export type WatchLineHandler = (line: string, receivedAt: number) => void;

export interface WatchStream {
  /** Resolves once the 200 and headers are in, so writes after it are seen. */
  opened: Promise<void>;
  /** Resolves when the server ends the stream or it is closed. */
  ended: Promise<void>;
  close(): void;
}

/**
 * A long-lived watch on its own socket (agent with no pooling): each of the 500 watchers
 * must be a separate connection, as separate clients would be.
 */
export function openWatchStream(
  endpoint: KubeEndpoint,
  agent: Agent,
  path: string,
  onLine: WatchLineHandler,
): WatchStream {
  const url = new URL(endpoint.server);
  let resolveOpened!: () => void;
  let rejectOpened!: (err: Error) => void;
  const opened = new Promise<void>((res, rej) => {
    resolveOpened = res;
    rejectOpened = rej;
  });
  let resolveEnded!: () => void;
  const ended = new Promise<void>((res) => (resolveEnded = res));
  const req = request(
    {
      host: url.hostname,
      port: url.port,
      path,
      agent,
      headers: { authorization: `Bearer ${endpoint.token}`, accept: 'application/json' },
    },
    (res) => {
      if (res.statusCode !== 200) {
        rejectOpened(new KubeRequestError('GET', path, res.statusCode ?? 0, 'watch refused'));
        res.resume();
        return;
      }
      resolveOpened();
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = performance.now();
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i), now);
          buf = buf.slice(i + 1);
        }
      });
      res.on('end', resolveEnded);
      res.on('error', resolveEnded);
      res.on('close', resolveEnded);
    },
  );
  req.on('error', (err) => {
    rejectOpened(err);
    resolveEnded();
  });
  req.end();
  return {
    opened,
    ended,
    close: () => {
      req.destroy();
      resolveEnded();
    },
  };
}
