import { eventually, freePort, startKubectl, startTestCluster, TestCluster } from '@skiff/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const WEB = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - {name: httpd, image: busybox, command: [sh, -c, 'mkdir -p /www && echo hello-from-web > /www/index.html && httpd -f -p 8080 -h /www']}
`;

function httpGet(port: number, urlPath = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('pod streams: port-forward, cp, logs, exec -t', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => cluster.kubectl(args);
  const waitReady = (pod: string) => k('wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=90s');

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    await cluster.kubectl(['apply', '-f', '-'], { stdin: WEB });
    await waitReady('web');
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('kubectl port-forward carries HTTP to the pod (SPDY over WebSocket)', async () => {
    const local = await freePort();
    const pf = startKubectl(cluster, ['port-forward', 'pod/web', `${local}:8080`]);
    try {
      await eventually(async () => pf.output().includes(`Forwarding from 127.0.0.1:${local} -> 8080`), 20_000, `port-forward to listen: ${pf.output()}`);
      expect(await httpGet(local, '/index.html')).toBe('hello-from-web\n');
      // A second connection on the same session: a new stream pair.
      expect(await httpGet(local, '/index.html')).toBe('hello-from-web\n');
    } finally {
      await pf.stop();
    }
    expect(pf.output()).not.toMatch(/error/i);
  });
});
