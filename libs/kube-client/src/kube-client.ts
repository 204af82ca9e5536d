import { KubeObject, errorMessage } from '@skiff/api-machinery';
import { ComponentName, componentClientCert, ConfigError, EnvReader } from '@skiff/config';
import { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { KubeApiError } from './kube-api.error';
import { readKubeconfig } from './kubeconfig.reader';
import { ResourceClient, ResourceRef } from './resource-client';

/** Who the client is: a bearer token, or a client certificate signed by the cluster CA (PEM). */
export type KubeCredentials = { token: string } | { cert: Buffer; key: Buffer };

export type KubeClientOptions = KubeCredentials & {
  /** e.g. `https://127.0.0.1:6443` */
  server: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: Buffer;
  /** Deadline for a whole non-streaming request, and for a stream's response headers. Default 30 s. */
  requestTimeoutMs?: number;
  userAgent?: string;
};

export interface StreamOptions {
  /** Aborting destroys the request or response. */
  signal?: AbortSignal;
  accept?: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A typed Kubernetes API client over one keep-alive HTTPS agent: what client-go's rest client
 * is to controllers. Every Skiff service reads and writes objects only through this.
 */
export class KubeClient {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(private readonly opts: KubeClientOptions) {
    this.base = new URL(opts.server);
    const identity = 'cert' in opts ? { cert: opts.cert, key: opts.key } : {};
    this.agent = new Agent({ keepAlive: true, ca: opts.ca, ...identity });
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userAgent = opts.userAgent ?? 'skiff-kube-client';
  }

  get server(): string {
    return this.opts.server;
  }

  /** Reads server, CA and credentials (a bearer token or a client certificate) from a kubeconfig's current context. */
  static fromKubeconfig(file: string): KubeClient {
    return new KubeClient(readKubeconfig(file));
  }

  /**
   * How a Skiff component reaches the API server: `SKIFF_API_SERVER` and `SKIFF_CA_FILE`, as the component's own
   * identity, a client certificate: a control-plane service's, issued beside the CA when the cluster was prepared,
   * or the one given (a sandbox agent's node certificate). An unreadable file stops the process with a ConfigError.
   */
  static fromEnv(
    component: ComponentName | { certFile: string; keyFile: string },
    env: Record<string, string | undefined> = process.env,
  ): KubeClient {
    const reader = new EnvReader(env);
    const server = reader.url('SKIFF_API_SERVER', 'https://127.0.0.1:6443', ['https:']);
    const caFile = reader.string('SKIFF_CA_FILE', path.join('.skiff', 'pki', 'ca.crt'));
    const files = typeof component === 'string' ? componentClientCert(path.dirname(caFile), component) : component;
    return new KubeClient({
      server,
      ca: readConfigFile('SKIFF_CA_FILE', caFile),
      cert: readConfigFile('client certificate', files.certFile),
      key: readConfigFile('client key', files.keyFile),
      userAgent: `skiff-${typeof component === 'string' ? component : 'sandbox-agent'}`,
    });
  }

  /** A handle on one resource type, e.g. `{ group: 'apps', version: 'v1', resource: 'deployments', namespaced: true }`. */
  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    return new ResourceClient<T>(this, ref);
  }

  /**
   * One JSON request; resolves with the parsed body, rejects with KubeApiError on a 4xx/5xx
   * and with the socket's error when the server cannot be reached.
   */
  async request<T = unknown>(
    method: HttpMethod,
    urlPath: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    try {
      return await this.requestOnce<T>(method, urlPath, body, contentType);
    } catch (err) {
      // A keep-alive socket the server closed while idle: the request never reached it.
      if (isStaleSocketError(err)) return this.requestOnce<T>(method, urlPath, body, contentType);
      throw err;
    }
  }

  /**
   * A raw GET (watches, logs, exec proxies): resolves with the response once its headers
   * arrive with a 2xx code; a 4xx/5xx is read and rejected as KubeApiError.
   */
  stream(urlPath: string, opts: StreamOptions = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(new URL(urlPath, this.base), {
        method: 'GET',
        agent: this.agent,
        signal: opts.signal,
        headers: { ...this.headers(), accept: opts.accept ?? 'application/json' },
      });
      // Only the wait for headers is bounded: a watch may rightly stay quiet for minutes.
      const timer = setTimeout(
        () => req.destroy(new Error(`GET ${urlPath}: no response within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('response', (res) => {
        clearTimeout(timer);
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) return resolve(res);
        readBody(res).then((text) => reject(KubeApiError.fromResponse(code, parseJson(text))), reject);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end();
    });
  }

  /** Closes idle keep-alive sockets so a process (or a test) can exit. */
  close(): void {
    this.agent.destroy();
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if ('token' in this.opts) headers.authorization = `Bearer ${this.opts.token}`;
    return headers;
  }

  private requestOnce<T>(method: HttpMethod, urlPath: string, body: unknown, contentType: string): Promise<T> {
    const payload =
      body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = httpsRequest(new URL(urlPath, this.base), {
        method,
        agent: this.agent,
        timeout: this.timeoutMs,
        headers: {
          ...this.headers(),
          accept: 'application/json',
          // Explicit length: Node sends DELETE bodies without one otherwise.
          ...(payload !== undefined
            ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
        },
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${this.timeoutMs} ms`)));
      req.on('response', (res) => {
        readBody(res).then((text) => {
          const parsed = parseJson(text);
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve(parsed as T);
          else reject(KubeApiError.fromResponse(code, parsed));
        }, reject);
      });
      req.on('error', (err: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        if (req.reusedSocket) err.reusedSocket = true;
        reject(err);
      });
      req.end(payload);
    });
  }
}

function isStaleSocketError(err: unknown): boolean {
  const e = err as { code?: string; reusedSocket?: boolean };
  return e?.reusedSocket === true && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
}

function readConfigFile(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${file}: ${errorMessage(err)}`);
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON (a proxy's error page): keep the text for the error message.
    return text;
  }
}
