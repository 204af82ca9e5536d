import { Injectable } from '@nestjs/common';
import * as http from 'node:http';
import * as net from 'node:net';
import type { SlbHealthCheck } from './slb-options';

/** A backend of an SLB listener: a ready pod's `ip:port` (the Service port's target). */
export type SlbBackend = string;

/** One health check of one backend: true when it answered as the check asks. */
export abstract class SlbBackendProber {
  abstract probe(backend: SlbBackend, check: SlbHealthCheck): Promise<boolean>;
}

/** Probes over the network: a TCP connect, or an HTTP GET whose status must be in one of the accepted classes. */
@Injectable()
export class NetSlbBackendProber extends SlbBackendProber {
  probe(backend: SlbBackend, check: SlbHealthCheck): Promise<boolean> {
    const colon = backend.lastIndexOf(':');
    const host = backend.slice(0, colon);
    const port = check.connectPort ?? Number(backend.slice(colon + 1));
    const timeoutMs = check.timeoutSeconds * 1000;
    return check.type === 'tcp' ? tcpConnects(host, port, timeoutMs) : httpAnswers(host, port, check, timeoutMs);
  }
}

function tcpConnects(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function httpAnswers(host: string, port: number, check: SlbHealthCheck, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({
      host,
      port,
      path: check.uri,
      method: 'GET',
      // CLB sends the backend's IP unless a domain is set.
      headers: { host: check.domain ?? host, 'user-agent': 'skiff-slb-health-check' },
      agent: false,
    });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      req.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    req.once('response', (res) => {
      res.resume();
      const codeClass = `http_${Math.floor((res.statusCode ?? 0) / 100)}xx`;
      done((check.httpCodes as readonly string[]).includes(codeClass));
    });
    req.once('error', () => done(false));
    req.end();
  });
}
