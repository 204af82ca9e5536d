import { execFile } from 'node:child_process';

/** What one wrk run reports: requests per second and its latency distribution (ms). */
export interface WrkResult {
  url: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  socketErrors: string;
  /** Requests that failed: socket errors (connect, read, write, timeout) and answers other than 2xx/3xx. */
  failed: number;
}

export interface WrkOptions {
  /** The network namespace wrk runs in (a client pod's). */
  netns: string;
  url: string;
  seconds: number;
  connections: number;
  threads: number;
  /** Extra request headers, e.g. `Host: shop.example.com`. */
  headers?: string[];
}

/** Runs Debian's wrk inside a pod's netns, so its traffic takes the same path as the pod's own. */
export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    'netns',
    'exec',
    o.netns,
    'wrk',
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--latency',
    ...(o.headers ?? []).flatMap((h) => ['-H', h]),
    o.url,
  ];
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: (o.seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk ${o.url}: ${err.message}: ${stderr}`));
      try {
        resolve(parseWrk(o.url, stdout));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

export function parseWrk(url: string, out: string): WrkResult {
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const requests = /(\d+) requests in/.exec(out);
  if (!rate || !p50 || !p99 || !requests) throw new Error(`unexpected wrk output:\n${out}`);
  return {
    url,
    requestsPerSec: Number(rate[1]),
    p50: toMs(p50[1], p50[2]),
    p99: toMs(p99[1], p99[2]),
    requests: Number(requests[1]),
    socketErrors: /Socket errors: (.*)/.exec(out)?.[1] ?? 'none',
    failed: failedOf(out),
  };
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : v;
}

function failedOf(out: string): number {
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return (socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
}
