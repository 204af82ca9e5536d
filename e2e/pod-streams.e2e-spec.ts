import { eventually, freePort, kubectlOnTerminal, startKubectl, startTestCluster, TestCluster } from '@skiff/testing';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const PODS = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - {name: httpd, image: busybox, command: [sh, -c, 'mkdir -p /www && echo hello-from-web > /www/index.html && httpd -f -p 8080 -h /www']}
---
apiVersion: v1
kind: Pod
metadata: {name: multi}
spec:
  containers:
    - {name: a, image: busybox, command: [sh, -c, 'echo a1; echo a2; echo a3; sleep 3600']}
    - {name: b, image: busybox, command: [sh, -c, 'echo b1; sleep 3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  restartPolicy: Always
  containers:
    - {name: c, image: busybox, command: [sh, -c, 'echo run-$RANDOM$RANDOM; sleep 2; exit 1']}
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

function run(
  file: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('pod streams: port-forward, cp, logs, exec -t', () => {
  let cluster: TestCluster;
  let work: string;
  const k = (...args: string[]) => cluster.kubectl(args);
  const waitReady = (pod: string) => k('wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=90s');

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'skiff-pod-streams-'));
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    await cluster.kubectl(['apply', '-f', '-'], { stdin: PODS });
    await waitReady('web');
    await waitReady('multi');
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  describe('port-forward', () => {
    const forward = async (env: Record<string, string>): Promise<string> => {
      const local = await freePort();
      const pf = startKubectl(cluster, ['port-forward', 'pod/web', `${local}:8080`, '-v=6'], env);
      try {
        await eventually(
          async () => pf.output().includes(`Forwarding from 127.0.0.1:${local} -> 8080`),
          20_000,
          'port-forward to listen',
        );
        expect(await httpGet(local, '/index.html')).toBe('hello-from-web\n');
        // A second connection on the same session: a new pair of streams.
        expect(await httpGet(local, '/index.html')).toBe('hello-from-web\n');
      } finally {
        await pf.stop();
      }
      expect(pf.output()).not.toMatch(/an error occurred forwarding|fall(ing)? ?back/i);
      return pf.output();
    };

    it('carries HTTP to the pod with kubectl (SPDY tunneled in WebSocket)', async () => {
      const log = await forward({});
      expect(log).toMatch(
        /GET https:\/\/\S+\/api\/v1\/namespaces\/default\/pods\/web\/portforward 101 Switching Protocols/,
      );
    });

    it('carries HTTP to the pod with kubectl over plain SPDY/3.1 (the fallback)', async () => {
      const log = await forward({ KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
      expect(log).toMatch(
        /POST https:\/\/\S+\/api\/v1\/namespaces\/default\/pods\/web\/portforward 101 Switching Protocols/,
      );
    });

    it('reports a closed port on the error stream', async () => {
      const local = await freePort();
      const pf = startKubectl(cluster, ['port-forward', 'pod/web', `${local}:8081`]);
      try {
        await eventually(async () => pf.output().includes('Forwarding from'), 20_000, 'port-forward to listen');
        await httpGet(local).catch(() => '');
        await eventually(
          async () => pf.output().includes('error forwarding port 8081 to pod default/web'),
          10_000,
          `the error: ${pf.output()}`,
        );
        expect(pf.output()).toMatch(/Connection refused/);
      } finally {
        await pf.stop();
      }
    });

    it('carries HTTP to the pod with client-node (v4.channel.k8s.io WebSocket)', async () => {
      const r = await run(process.execPath, [
        path.join(__dirname, 'client-node', 'port-forward.mjs'),
        cluster.stack.kubeconfig,
        'default',
        'web',
        '8080',
      ]);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ body: 'hello-from-web\n' });
    });
  });

  describe('cp', () => {
    it('copies a binary file into the pod and back', async () => {
      const data = randomBytes(200_000);
      const src = path.join(work, 'blob.bin');
      writeFileSync(src, data);
      const up = await k('cp', src, 'web:/tmp/blob.bin');
      expect(up).toMatchObject({ code: 0, stderr: '' });
      expect((await k('exec', 'web', '--', 'sh', '-c', 'wc -c < /tmp/blob.bin')).stdout.trim()).toBe(
        String(data.length),
      );
      const back = path.join(work, 'back.bin');
      const down = await k('cp', 'web:/tmp/blob.bin', back);
      expect(down.code).toBe(0);
      expect(readFileSync(back).equals(data)).toBe(true);
    });

    it('copies a small text file both ways', async () => {
      const src = path.join(work, 'note.txt');
      writeFileSync(src, 'a note\nsecond line\n');
      expect((await k('cp', src, 'web:/tmp/note.txt')).code).toBe(0);
      expect((await k('exec', 'web', '--', 'cat', '/tmp/note.txt')).stdout).toBe('a note\nsecond line\n');
      expect((await k('exec', 'web', '--', 'sh', '-c', 'echo changed >> /tmp/note.txt')).code).toBe(0);
      const back = path.join(work, 'note-back.txt');
      expect((await k('cp', 'web:/tmp/note.txt', back)).code).toBe(0);
      expect(readFileSync(back, 'utf8')).toBe('a note\nsecond line\nchanged\n');
    });
  });

  describe('logs', () => {
    it('follows a container as it writes and ends when it exits', async () => {
      await k(
        'run',
        'ticker',
        '--image=busybox',
        '--restart=Never',
        '--',
        'sh',
        '-c',
        'for i in 1 2 3 4 5 6 7 8; do echo tick-$i; sleep 1; done',
      );
      await waitReady('ticker');
      const f = startKubectl(cluster, ['logs', '-f', 'ticker']);
      // Seen while the container is still writing: lines come as they are written.
      await eventually(
        async () => f.output().startsWith('tick-1\n') && !f.output().includes('tick-8'),
        15_000,
        'lines before the last one',
      );
      const code = await Promise.race([f.exited, new Promise<number>((r) => setTimeout(() => r(-99), 20_000))]);
      expect(code).toBe(0);
      expect(f.output()).toBe([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `tick-${i}\n`).join(''));
    });

    it('applies --tail, --timestamps, --since and -c', async () => {
      expect((await k('logs', 'multi', '-c', 'a', '--tail=2')).stdout).toBe('a2\na3\n');
      expect((await k('logs', 'multi', '-c', 'b')).stdout).toBe('b1\n');
      const stamped = (await k('logs', 'multi', '-c', 'a', '--timestamps')).stdout.trim().split('\n');
      expect(stamped).toHaveLength(3);
      // RFC 3339 with nanoseconds and `Z`, as kubelet prints them.
      for (const [i, line] of stamped.entries())
        expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z a${i + 1}$`));
      expect((await k('logs', 'multi', '-c', 'a', '--since=1h')).stdout).toBe('a1\na2\na3\n');
      await new Promise((r) => setTimeout(r, 2_000));
      expect((await k('logs', 'multi', '-c', 'a', '--since=1s')).stdout).toBe('');
    });

    it('picks the first container of a multi-container pod the way kubectl does, and the API asks for one', async () => {
      const r = await k('logs', 'multi');
      // kubectl 1.32 names the container itself and says so.
      expect(r.stderr).toContain('Defaulted container "a" out of: a, b');
      expect(r.stdout).toBe('a1\na2\na3\n');
      const raw = await k('get', '--raw', '/api/v1/namespaces/default/pods/multi/log');
      expect(raw.code).not.toBe(0);
      expect(raw.stderr).toContain('a container name must be specified for pod multi, choose one of: [a b]');
      const bad = await k('logs', 'multi', '-c', 'nope');
      expect(bad.stderr).toContain('container nope is not valid for pod multi');
    });

    it('shows the previous instance after a restart', async () => {
      const none = await k('logs', 'multi', '-c', 'a', '--previous');
      expect(none.stderr).toContain('previous terminated container "a" in pod "multi" not found');
      await eventually(
        async () =>
          Number(
            (await k('get', 'pod', 'crash', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}')).stdout,
          ) >= 1,
        90_000,
        'a restart',
      );
      const previous = (await k('logs', 'crash', '--previous')).stdout;
      expect(previous).toMatch(/^run-\d+\n$/);
      const current = await eventually(
        async () => {
          const r = await k('logs', 'crash');
          return r.code === 0 && r.stdout !== '' ? r.stdout : undefined;
        },
        60_000,
        'the current instance to log',
      );
      expect(current).toMatch(/^run-\d+\n$/);
      expect(current).not.toBe(previous);
    });
  });

  describe('exec -t', () => {
    it("runs an interactive shell on a terminal of the client's size, and returns its exit code", async () => {
      const term = kubectlOnTerminal(cluster, ['exec', '-it', 'web', '--', 'sh'], { cols: 111, rows: 33 });
      try {
        await eventually(async () => term.screen().includes('/ # '), 30_000, 'the shell prompt');
        term.type('[ -t 0 ] && [ -t 1 ] && echo "on-a-$TERM-terminal"; stty size\r');
        await eventually(async () => term.screen().includes('on-a-xterm-terminal'), 20_000, 'the test to run');
        await eventually(async () => term.screen().includes('33 111'), 20_000, 'the size kubectl sent');
        term.type('exit 7\r');
        expect(await term.exited).toBe(7);
      } finally {
        await term.stop();
      }
    });

    it('still runs without -t', async () => {
      const r = await k('exec', '-i', 'web', '--', 'cat');
      expect(r).toMatchObject({ code: 0, stdout: '' });
    });
  });
});
