import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import {
  AuditAttributes,
  auditEvent,
  AuditObjectRef,
  AuditPolicy,
  AuditRecord,
  AuditResponseStatus,
  AuditStage,
  evaluateAuditPolicy,
} from '@skiff/api-server';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestUser } from '../auth/request-user';
import { decodeBody } from '../kube-api/body';
import { parseRequestInfo, RequestInfo } from '../kube-api/request-info';
import { AuditLogWriter } from './audit-log.writer';
import { requestBody, requestPanic } from './request-audit';

export const AUDIT_BACKEND = Symbol('AUDIT_BACKEND');

/** The policy, and the log it writes to (none when SKIFF_AUDIT_LOG_PATH=off). */
export interface AuditBackend {
  policy: AuditPolicy;
  writer?: AuditLogWriter;
}

// Upstream's long-running requests: watches and the streaming subresources.
const LONG_RUNNING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy', 'log']);
// A response body is kept for the audit only up to this size (RequestResponse level, or a failure's Status).
const MAX_CAPTURED_BYTES = 1024 * 1024;

/**
 * The audit of each request, as kube-apiserver's audit filter: an Audit-Id for every response, and for requests the
 * policy audits, audit.k8s.io/v1 Events at RequestReceived, ResponseStarted (long-running requests), ResponseComplete
 * or Panic. The policy is evaluated once the user is known (after authentication), at the response's first byte.
 */
@Injectable()
export class AuditService implements OnApplicationShutdown {
  private readonly log = new Logger('audit');
  constructor(
    @Inject(AUDIT_BACKEND) private readonly backend: AuditBackend,
    private readonly clock: Clock,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.backend.writer?.close();
  }

  /** An HTTP request handled by the router. */
  track(req: IncomingMessage, res: ServerResponse, originalUrl: string): void {
    const audit = this.begin(req, originalUrl);
    res.setHeader('Audit-Id', audit.auditID);
    if (!this.backend.writer) return;
    const chunks: Buffer[] = [];
    let kept = 0;
    let capture = false;
    const started = (): void => {
      if (audit.started) return;
      // The audit never fails the request it records.
      try {
        const record = audit.start(res.statusCode);
        capture = !!record && !audit.longRunning && (res.statusCode >= 400 || record.level === 'RequestResponse');
      } catch (err) {
        audit.started = true;
        this.log.error(`audit of ${req.method} ${originalUrl}: ${errorMessage(err)}`);
      }
    };
    const keep = (chunk: unknown, encoding: unknown): void => {
      if (!capture || chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buf = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      kept += buf.length;
      if (kept > MAX_CAPTURED_BYTES) {
        capture = false;
        chunks.length = 0;
      } else chunks.push(buf);
    };
    const writeHead = res.writeHead;
    res.writeHead = ((code: number, ...rest: unknown[]) => {
      res.statusCode = code;
      started();
      return (writeHead as (...args: unknown[]) => ServerResponse).call(res, code, ...rest);
    }) as typeof res.writeHead;
    const write = res.write;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      started();
      keep(chunk, rest[0]);
      return (write as (...args: unknown[]) => boolean).call(res, chunk, ...rest);
    }) as typeof res.write;
    const end = res.end;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      started();
      keep(chunk, rest[0]);
      return (end as (...args: unknown[]) => ServerResponse).call(res, chunk, ...rest);
    }) as typeof res.end;
    res.once('close', () => {
      started();
      const type = res.getHeader('content-type');
      audit.complete(
        chunks.length > 0 ? decoded(Buffer.concat(chunks), typeof type === 'string' ? type : '') : undefined,
      );
    });
  }

  /** pods/exec, attach and portforward upgrades, which bypass the router: the status is the first line written back. */
  trackUpgrade(req: IncomingMessage, socket: Duplex): void {
    if (!this.backend.writer) return;
    const audit = this.begin(req, req.url ?? '/');
    const started = (chunk: unknown): void => {
      if (audit.started) return;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, 16) : String(chunk));
      audit.start(m ? Number(m[1]) : 101);
    };
    const write = socket.write;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      started(chunk);
      return (write as (...args: unknown[]) => boolean).call(socket, chunk, ...rest);
    }) as typeof socket.write;
    const end = socket.end;
    socket.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk !== undefined && typeof chunk !== 'function') started(chunk);
      return (end as (...args: unknown[]) => Duplex).call(socket, chunk, ...rest);
    }) as typeof socket.end;
    socket.once('close', () => {
      if (!audit.started) audit.start(500);
      audit.complete(undefined);
    });
  }

  private begin(req: IncomingMessage, originalUrl: string): RequestAudit {
    const header = req.headers['audit-id'];
    // A client may name the request (upstream keeps a caller's Audit-ID); anything odd gets a fresh one.
    const auditID = typeof header === 'string' && /^[\w.:-]{1,64}$/.test(header) ? header : randomUUID();
    return new RequestAudit(req, originalUrl, auditID, this.backend, this.clock);
  }
}

/** One request's audit: decides its level when it starts answering, then writes each stage the policy keeps. */
class RequestAudit {
  started = false;
  readonly longRunning: boolean;
  private readonly receivedAt: Date;
  // Read on arrival: by the time the answer is written the client may have gone, and its socket with it.
  private readonly sourceIPs: string[];
  private readonly info?: RequestInfo;
  private readonly path: string;
  private readonly verb: string;
  private record?: AuditRecord;
  private omitStages: AuditStage[] = [];

  constructor(
    private readonly req: IncomingMessage,
    private readonly requestURI: string,
    readonly auditID: string,
    private readonly backend: AuditBackend,
    private readonly clock: Clock,
  ) {
    this.receivedAt = clock.now();
    this.sourceIPs = sourceIPs(req);
    const url = new URL(requestURI, 'https://skiff.local');
    this.path = url.pathname;
    try {
      this.info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    } catch {
      this.info = undefined; // a malformed resource path: audited as the non-resource request it answers as
    }
    this.verb = this.info?.verb ?? (req.method ?? 'GET').toLowerCase();
    this.longRunning =
      this.info?.verb === 'watch' || (!!this.info?.subresource && LONG_RUNNING_SUBRESOURCES.has(this.info.subresource));
  }

  /** The response's status is known (its first byte): decide the level; write RequestReceived and ResponseStarted. */
  start(code: number): AuditRecord | undefined {
    this.started = true;
    const user = requestUser(this.req);
    const attrs: AuditAttributes = {
      verb: this.verb,
      path: this.path,
      ...(user ? { user } : {}),
      ...(this.info
        ? {
            resource: {
              group: this.info.group,
              resource: this.info.resource,
              subresource: this.info.subresource,
              namespace: this.info.namespace,
              name: this.info.name,
            },
          }
        : {}),
    };
    const decision = evaluateAuditPolicy(this.backend.policy, attrs);
    if (decision.level === 'None') return undefined;
    this.omitStages = decision.omitStages;
    this.record = {
      auditID: this.auditID,
      level: decision.level,
      omitManagedFields: decision.omitManagedFields,
      requestURI: this.requestURI,
      verb: this.verb,
      user: user
        ? {
            username: user.username,
            ...(user.uid ? { uid: user.uid } : {}),
            groups: user.groups,
            ...(user.extra ? { extra: user.extra } : {}),
          }
        : {},
      sourceIPs: this.sourceIPs,
      ...(this.req.headers['user-agent'] ? { userAgent: this.req.headers['user-agent'] } : {}),
      ...(this.info ? { objectRef: objectRefOf(this.info) } : {}),
      receivedAt: this.receivedAt,
      responseStatus: { metadata: {}, code },
    };
    this.emit('RequestReceived');
    if (this.longRunning) this.emit('ResponseStarted');
    return this.record;
  }

  /** The response is done (or the client went away): ResponseComplete, or Panic after an unexpected failure. */
  complete(responseBody: unknown): void {
    const record = this.record;
    if (!record) return;
    const body = requestBody(this.req);
    const requestObject =
      body?.length && (record.level !== 'Metadata' || this.verb === 'create')
        ? decoded(body, this.req.headers['content-type'] ?? '')
        : undefined;
    if (record.level !== 'Metadata') record.requestObject = requestObject;
    // As upstream's LogRequestObject: a create's objectRef takes its name (and namespace) from the object sent.
    const meta = (requestObject as { metadata?: { name?: unknown; namespace?: unknown } } | undefined)?.metadata;
    if (record.objectRef && !record.objectRef.name && typeof meta?.name === 'string') record.objectRef.name = meta.name;
    const status = statusOf(responseBody);
    if (status) record.responseStatus = { ...status, code: record.responseStatus!.code };
    else if (responseBody !== undefined) record.responseObject = responseBody;
    const panic = requestPanic(this.req);
    if (panic !== undefined) {
      record.responseStatus = {
        metadata: {},
        status: 'Failure',
        message: `APIServer panic'd: ${panic}`,
        reason: 'InternalError',
        code: 500,
      };
      this.emit('Panic');
    } else {
      this.emit('ResponseComplete');
    }
  }

  private emit(stage: AuditStage): void {
    if (this.record && !this.omitStages.includes(stage))
      this.backend.writer?.write(auditEvent(this.record, stage, this.clock.now()));
  }
}

function objectRefOf(info: RequestInfo): AuditObjectRef {
  return {
    resource: info.resource,
    ...(info.namespace ? { namespace: info.namespace } : {}),
    ...(info.name ? { name: info.name } : {}),
    ...(info.group ? { apiGroup: info.group } : {}),
    apiVersion: info.version,
    ...(info.subresource ? { subresource: info.subresource } : {}),
  };
}

// A failure's Status goes into responseStatus (status, message, reason), as upstream records it.
function statusOf(body: unknown): Omit<AuditResponseStatus, 'code'> | undefined {
  const s = body as { kind?: unknown; status?: unknown; message?: unknown; reason?: unknown } | undefined;
  if (s?.kind !== 'Status' || s.status !== 'Failure') return undefined;
  return {
    metadata: {},
    status: 'Failure',
    ...(typeof s.message === 'string' ? { message: s.message } : {}),
    ...(typeof s.reason === 'string' && s.reason !== '' ? { reason: s.reason } : {}),
  };
}

// A body as the object it carries (JSON, YAML or Kubernetes protobuf); what does not decode is not recorded.
function decoded(buf: Buffer, contentType: string): unknown {
  try {
    return decodeBody(buf, contentType);
  } catch {
    return undefined;
  }
}

// utilnet.SourceIPs: X-Forwarded-For, then X-Real-Ip, then the peer, each once.
function sourceIPs(req: IncomingMessage): string[] {
  const ips: string[] = [];
  const add = (ip: string | undefined): void => {
    const v = ip?.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
    if (v && !ips.includes(v)) ips.push(v);
  };
  const xff = req.headers['x-forwarded-for'];
  for (const ip of (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',')) add(ip);
  const real = req.headers['x-real-ip'];
  add(Array.isArray(real) ? real[0] : real);
  add(req.socket.remoteAddress);
  return ips;
}
