import { request } from 'node:https';
import { errorMessage } from '@skiff/api-machinery';

/** GETs `path` over HTTPS trusting `ca`; resolves with status and body. */
export function httpsGet(
  baseUrl: string,
  path: string,
  ca: Buffer,
  token?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, baseUrl),
      { ca, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `/readyz` until it answers `ok`, or fails after `timeoutMs`. */
export async function waitForReady(
  baseUrl: string,
  ca: Buffer,
  timeoutMs: number,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the API server exited before it was ready (${last})`);
    try {
      const res = await httpsGet(baseUrl, '/readyz', ca);
      if (res.status === 200 && res.body.trim() === 'ok') return;
      last = `${res.status} ${res.body.trim()}`;
    } catch (err) {
      last = errorMessage(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the API server was not ready within ${timeoutMs} ms (${last})`);
}
