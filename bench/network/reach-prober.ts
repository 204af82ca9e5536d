import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

// Runs inside the client pod's netns. On "up"/"down" from stdin it connects to the target every 2 ms until a
// connection is accepted (up) or refused/timed out (down), then prints the state and Date.now() and goes idle.
const PROBER = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
let want = '';
function attempt() {
  if (!want) return;
  const s = net.connect({ host, port: Number(port) });
  let done = false;
  const finish = (state) => {
    if (done) return;
    done = true;
    s.destroy();
    if (state === want) { want = ''; process.stdout.write(state + ' ' + Date.now() + '\\n'); return; }
    setTimeout(attempt, 2);
  };
  s.once('connect', () => finish('up'));
  s.once('error', () => finish('down'));
  s.setTimeout(500, () => finish('down'));
}
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => { want = l.trim(); attempt(); });
process.stdout.write('ready 0\\n');
`;

/** Tells, from inside a pod's netns, when a Service address starts accepting (or refusing) connections. */
export class ReachProber {
  private readonly child: ChildProcess;
  private readonly waiting: ((line: string) => void)[] = [];

  private constructor(netns: string, host: string, port: number) {
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', PROBER, host, String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
  }

  static async start(netns: string, host: string, port: number): Promise<ReachProber> {
    const p = new ReachProber(netns, host, port);
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
