import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

// Runs inside a netns. On "up"/"down" from stdin it tries the target every 2 ms until it answers (up) or does not
// (down), then prints the state and Date.now() and goes idle. TCP: a connection accepted; HTTP: a 200 to a GET
// with the given Host (an Ingress answers 503 while the backend has no endpoints).
const PROBER = `
const net = require('node:net');
const http = require('node:http');
const [host, port, hostHeader] = process.argv.slice(1);
let want = '';
function attempt() {
  if (!want) return;
  let done = false;
  const finish = (state, s) => {
    if (done) return;
    done = true;
    s.destroy();
    if (state === want) { want = ''; process.stdout.write(state + ' ' + Date.now() + '\\n'); return; }
    setTimeout(attempt, 2);
  };
  if (hostHeader) {
    const req = http.get({ host, port: Number(port), headers: { host: hostHeader }, agent: false, timeout: 500 }, (res) => {
      res.resume();
      finish(res.statusCode === 200 ? 'up' : 'down', req);
    });
    req.once('error', () => finish('down', req));
    req.once('timeout', () => finish('down', req));
    return;
  }
  const s = net.connect({ host, port: Number(port) });
  s.once('connect', () => finish('up', s));
  s.once('error', () => finish('down', s));
  s.setTimeout(500, () => finish('down', s));
}
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => { want = l.trim(); attempt(); });
process.stdout.write('ready 0\\n');
`;

/** Tells, from inside a netns, when an address starts accepting (or refusing) connections, or answering HTTP 200. */
export class ReachProber {
  private readonly child: ChildProcess;
  private readonly waiting: ((line: string) => void)[] = [];

  private constructor(netns: string, host: string, port: number, httpHost?: string) {
    const args = [host, String(port), ...(httpHost ? [httpHost] : [])];
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', PROBER, ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
  }

  /** `httpHost`: probe with HTTP GETs carrying that Host header instead of TCP connects. */
  static async start(netns: string, host: string, port: number, httpHost?: string): Promise<ReachProber> {
    const p = new ReachProber(netns, host, port, httpHost);
    await p.next(10_000);
    return p;
  }

  /** Starts probing for `state`; resolves with the Date.now() at which it was seen, or rejects after timeoutMs. */
  until(state: 'up' | 'down', timeoutMs: number): Promise<number> {
    const seen = this.next(timeoutMs);
    this.child.stdin!.write(`${state}\n`);
    return seen.then(
      (line) => Number(line.split(' ')[1]),
      (err: unknown) => {
        this.child.stdin!.write('\n'); // stop probing, so a late answer is not taken for the next question
        throw err;
      },
    );
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }

  private next(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(handler), 1);
        reject(new Error(`prober saw nothing within ${timeoutMs} ms`));
      }, timeoutMs);
      const handler = (line: string): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiting.push(handler);
    });
  }
}
