import { ChildProcess, spawn } from 'node:child_process';

// busybox httpd closes every connection, so wrk would open one per request: its ports (and the host's conntrack
// table, shared with everything on the machine) fill with TIME_WAIT in seconds. This server keeps connections.
const SERVER = `
const body = Buffer.from('ok\\n');
require('node:http')
  .createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); })
  .listen(Number(process.argv[1]), '0.0.0.0', () => process.stdout.write('listening\\n'));
`;

/** A keep-alive HTTP server inside a pod's network namespace (the pod's address, the pod's bridge port). */
export function startKeepAliveServer(netns: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', SERVER, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => c.toString().includes('listening') && resolve(child));
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}
