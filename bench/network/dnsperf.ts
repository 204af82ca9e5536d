import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LatencySummary, summarize } from '../stats';

export interface DnsperfResult {
  /** Queries answered per second, as dnsperf reports it. */
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  /** Per-query latency (only when run with per-query output, i.e. at a fixed rate). */
  latency?: LatencySummary;
  /** Answers by rcode, from the per-query lines. */
  rcodes: Record<string, number>;
}

export interface DnsperfRun {
  port: number;
  queryFile: string;
  seconds: number;
  /** Fixed offered rate (dnsperf -Q); unlimited when absent. */
  rate?: number;
  /** Queries in flight at most (dnsperf -q). */
  outstanding?: number;
  /** Record every query's latency (dnsperf -v); costs the client CPU, so only for rate-limited runs. */
  perQuery?: boolean;
}

/** Runs dnsperf against 127.0.0.1:port over UDP and reads its figures. */
export function runDnsperf(run: DnsperfRun): Promise<DnsperfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(run.port), '-d', run.queryFile, '-l', String(run.seconds), '-c', '4'];
  args.push('-q', String(run.outstanding ?? 100));
  if (run.rate) args.push('-Q', String(Math.round(run.rate)));
  if (run.perQuery) args.push('-v');
  return new Promise((resolve, reject) => {
    const child = spawn('dnsperf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const latencies: number[] = [];
    const rcodes: Record<string, number> = {};
    const summary: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      // "> NOERROR web.ns.svc.cluster.local A 0.000182"
      if (line.startsWith('> ')) {
        const parts = line.split(' ');
        rcodes[parts[1]] = (rcodes[parts[1]] ?? 0) + 1;
        const seconds = Number(parts[parts.length - 1]);
        if (Number.isFinite(seconds)) latencies.push(seconds * 1000);
      } else summary.push(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const text = summary.join('\n');
      const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
      if (code !== 0 || !/Queries per second/.test(text))
        return reject(new Error(`dnsperf ${args.join(' ')} exited ${code}: ${stderr.trim() || text.slice(-500)}`));
      resolve({
        qps: num(/Queries per second:\s+([\d.]+)/),
        sent: num(/Queries sent:\s+(\d+)/),
        completed: num(/Queries completed:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        ...(latencies.length ? { latency: summarize(latencies) } : {}),
        rcodes,
      });
    });
  });
}
