import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { ContainerRuntime } from '../../runtime/container-runtime';
import { Container, HTTPGetAction, ProbeHandler } from '@skiff/kube-types';
import { errorMessage } from '@skiff/api-machinery';

export interface HandlerTarget {
  runtime: Pick<ContainerRuntime, 'execCollect'>;
  runtimeId: string;
  container: Container;
  podIP: string;
}

export interface HandlerResult {
  ok: boolean;
  message: string;
}

/** Runs a probe or lifecycle handler (exec, httpGet, tcpSocket) against one container. */
export async function runHandler(h: ProbeHandler, target: HandlerTarget, timeoutMs: number): Promise<HandlerResult> {
  if (h.exec) {
    const r = await target.runtime
      .execCollect(target.runtimeId, h.exec.command ?? [], timeoutMs)
      .catch((err: unknown) => ({ code: -1, stdout: '', stderr: errorMessage(err) }));
    return { ok: r.code === 0, message: (r.stdout + r.stderr).trim().slice(0, 1024) || `command exited ${r.code}` };
  }
  if (h.httpGet) return httpGet(h.httpGet, target, timeoutMs);
  if (h.tcpSocket) {
    const dest = destination(h.tcpSocket.host, h.tcpSocket.port, target);
    if ('error' in dest) return { ok: false, message: dest.error };
    return tcpConnect(dest.host, dest.port, timeoutMs);
  }
  return { ok: false, message: 'handler has no exec, httpGet or tcpSocket' };
}

// Probes reach the pod's own address only: a user-given host could point the agent at anything.
function destination(
  host: string | undefined,
  port: number | string,
  target: HandlerTarget,
): { host: string; port: number } | { error: string } {
  if (host && host !== target.podIP)
    return { error: `probe host "${host}" is not allowed: sandbox probes only reach the pod's own IP` };
  const n =
    typeof port === 'number'
      ? port
      : /^\d+$/.test(port)
        ? Number(port)
        : target.container.ports?.find((p) => p.name === port)?.containerPort;
  if (!n) return { error: `port "${port}" is not a number nor a named port of the container` };
  return { host: target.podIP, port: n };
}

function httpGet(a: HTTPGetAction, target: HandlerTarget, timeoutMs: number): Promise<HandlerResult> {
  const dest = destination(a.host, a.port, target);
  if ('error' in dest) return Promise.resolve({ ok: false, message: dest.error });
  const https = a.scheme === 'HTTPS';
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.32', accept: '*/*' };
  for (const h of a.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  const url = `${https ? 'https' : 'http'}://${dest.host}:${dest.port}${a.path?.startsWith('/') ? a.path : `/${a.path ?? ''}`}`;
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        res.on('end', () =>
          resolve({ ok: code >= 200 && code < 400, message: `HTTP probe failed with statuscode: ${code}` }),
        );
        res.on('error', (err) => resolve({ ok: false, message: err.message }));
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new Error(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`),
      ),
    );
    req.on('error', (err) =>
      resolve({ ok: false, message: err.message.startsWith('Get ') ? err.message : `Get "${url}": ${err.message}` }),
    );
    req.end();
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<HandlerResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: HandlerResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('connect', () => done({ ok: true, message: '' }));
    socket.once('error', (err) => done({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}
