import * as path from 'node:path';
import { eventually, KubectlResult, startTestCluster, TestCluster } from '@skiff/testing';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';

// Each backend serves its own hostname; the readiness probe waits for httpd to listen.
const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: httpd
          image: busybox
          command: [sh, -c, 'mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www']
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

const sleeper = (name: string, labels: Record<string, string> = {}, runtimeClassName?: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      ...(runtimeClassName ? { runtimeClassName } : {}),
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] }],
    },
  });

const LONER = `apiVersion: v1
kind: Pod
metadata: {name: loner, labels: {app: loner}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: httpd
      image: busybox
      command: [sh, -c, 'mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www']
      readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: loner}
spec:
  selector: {app: loner}
  ports: [{port: 80, targetPort: 8080}]
`;

const UDP_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: resolver}
spec:
  selector: {app: resolver}
  ports: [{name: dns, port: 53, targetPort: 5353, protocol: UDP}]
`;

// busybox has no UDP server: a DNS responder in the backend pod's own network namespace answers every A query
// with that pod's address, so the answer names the backend that got the datagram.
// A TLS client that trusts only the cluster CA: asks kubernetes.default.svc (10.96.0.1:443) for /version.
const TLS_PROBE = `
const tls = require('node:tls');
const fs = require('node:fs');
const s = tls.connect({ host: '10.96.0.1', port: 443, servername: 'kubernetes.default.svc', ca: fs.readFileSync(process.argv[1]) }, () =>
  s.write('GET /version HTTP/1.1\\r\\nHost: kubernetes.default.svc\\r\\nConnection: close\\r\\n\\r\\n'),
);
let out = '';
s.on('data', (d) => (out += d));
s.on('end', () => console.log((s.authorized ? 'authorized ' : 'unauthorized ') + out.split('\\r\\n')[0]));
s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
`;

const DNS_RESPONDER = `
const dgram = require('node:dgram');
const packet = require('dns-packet');
const [address] = process.argv.slice(1);
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, peer) => {
  const q = packet.decode(msg);
  const answers = q.questions.filter((x) => x.type === 'A').map((x) => ({ type: 'A', name: x.name, ttl: 5, data: address }));
  socket.send(packet.encode({ id: q.id, type: 'response', flags: packet.RECURSION_DESIRED, questions: q.questions, answers }), peer.port, peer.address);
});
socket.bind(5353, '0.0.0.0', () => console.log('listening'));
`;

describe('Services: ClusterIPs through the sandbox host data plane (kubectl)', () => {
  let cluster: TestCluster;
  const ns = 'svc';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const apply = (yaml: string) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: yaml });
  const jsonpath = async (what: string, expr: string) => (await k('get', what, '-o', `jsonpath=${expr}`)).stdout;
  const waitReady = async (what: string) =>
    expect((await k('wait', '--for=condition=Ready', what, '--timeout=120s')).code).toBe(0);
  const exec = (pod: string, script: string): Promise<KubectlResult> =>
    cluster.kubectl(['exec', '-n', ns, pod, '--', 'sh', '-c', script]);
  // busybox 1.35's `wget -T` segfaults: busybox `timeout` bounds an attempt (exit 143 when it had to stop it).
  const wget = (pod: string, url: string) => exec(pod, `timeout 10 wget -qO- ${url}`);
  // What `url` answers `pod`, once it answers.
  const answerFrom = (pod: string, url: string, what: string, timeoutMs: number) =>
    eventually(
      async () => {
        const r = await wget(pod, url);
        return r.code === 0 ? r.stdout : undefined;
      },
      timeoutMs,
      what,
    );
  let webIP = '';

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    await cluster.kubectl(['create', 'namespace', ns]);
    expect((await apply(WEB)).code).toBe(0);
    expect((await apply(sleeper('client'))).code).toBe(0);
    expect((await k('rollout', 'status', 'deployment/web', '--timeout=120s')).code).toBe(0);
    await waitReady('pod/client');
    webIP = await jsonpath('service/web', '{.spec.clusterIP}');
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers on the ClusterIP from another pod, from more than one backend over 30 requests', async () => {
    expect(webIP).toMatch(/^10\.96\.\d+\.\d+$/);
    const first = await answerFrom('client', `http://${webIP}`, 'the Service to answer', 30_000);
    expect(first).toMatch(/^web-[a-z0-9]+-[a-z0-9]+\n$/);
    const r = await exec('client', `for i in $(seq 30); do wget -qO- http://${webIP} || echo FAILED; done`);
    const answers = r.stdout.trim().split('\n');
    expect(answers).toHaveLength(30);
    expect(answers).not.toContain('FAILED');
    const pods = (await jsonpath('pods', '{range .items[?(@.metadata.labels.app=="web")]}{.metadata.name}{"\\n"}{end}'))
      .trim()
      .split('\n');
    for (const a of answers) expect(pods).toContain(a);
    expect(new Set(answers).size).toBeGreaterThan(1);
  });

  it('finds Services by name through the cluster DNS, and reaches the API server at kubernetes.default.svc', async () => {
    const byName = await answerFrom('client', 'http://web', 'http://web to answer', 30_000);
    expect(byName).toMatch(/^web-[a-z0-9]+-[a-z0-9]+\n$/);
    const lookup = await exec('client', 'nslookup web.svc.svc.cluster.local');
    expect(lookup.stdout).toContain(`Address: ${webIP}`);
    const srv = await exec('client', 'nslookup -type=SRV _http._tcp.web.svc.svc.cluster.local');
    expect(srv.stdout).toMatch(/port = 80\b|service = 0 100 80 web\.svc\.svc\.cluster\.local/);
    // TLS to the API server through 10.96.0.1:443 from the client pod's network namespace, verified against the
    // cluster CA for kubernetes.default.svc (busybox's TLS client verifies nothing and cannot talk to it).
    const uid = await jsonpath('pod/client', '{.metadata.uid}');
    const caFile = path.join(cluster.stateDir, 'pki', 'ca.crt');
    const out = execFileSync('ip', ['netns', 'exec', `skiff-${uid}`, process.execPath, '-e', TLS_PROBE, caFile], {
      timeout: 20_000,
    }).toString();
    expect(out).toMatch(/^authorized HTTP\/1\.1 (200|401|403)/);
  });

  it("resolves a headless Service's pod by its hostname", async () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: sql, port: 5432}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec:
  hostname: db-0
  subdomain: db
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox
      command: [sh, -c, "trap 'exit 0' TERM; sleep 3600 & wait"]
`;
    expect((await apply(yaml)).code).toBe(0);
    await waitReady('pod/db-0');
    const ip = await jsonpath('pod/db-0', '{.status.podIP}');
    const answer = await eventually(
      async () => {
        const r = await exec('client', 'nslookup db-0.db.svc.svc.cluster.local');
        return r.code === 0 && r.stdout.includes(`Address: ${ip}`) ? r.stdout : undefined;
      },
      30_000,
      'db-0.db to resolve',
    );
    expect(answer).toContain(`Address: ${ip}`);
    // The tests after this one look at the namespace's slices: this Service goes.
    expect((await k('delete', 'service/db', 'pod/db-0', '--wait=false')).code).toBe(0);
  });

  it('keeps a client on one backend with sessionAffinity ClientIP', async () => {
    expect((await k('patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}')).code).toBe(0);
    const backends = await eventually(
      async () => {
        const r = await exec('client', `for i in $(seq 10); do wget -qO- http://${webIP} || echo FAILED; done`);
        const seen = new Set(r.stdout.trim().split('\n'));
        return seen.size === 1 && !seen.has('FAILED') ? seen : undefined;
      },
      30_000,
      'ten requests on one backend',
    );
    expect([...backends][0]).toMatch(/^web-/);
    expect((await k('patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"None"}}')).code).toBe(0);
  });

  it('refuses connections while the Service has no endpoints, and serves again once it has', async () => {
    expect((await k('scale', 'deployment/web', '--replicas=0')).code).toBe(0);
    await eventually(
      async () => (await jsonpath('endpointslices', '{.items[*].endpoints[*].addresses[0]}')).trim() === '',
      60_000,
      'the EndpointSlices to empty',
    );
    // Refused (a TCP reset), not left to time out: a timed-out attempt never shows this text.
    const refused = await eventually(
      async () => {
        const r = await wget('client', `http://${webIP}`);
        return r.stderr.includes('Connection refused') ? r : undefined;
      },
      20_000,
      'the connection to be refused',
    );
    expect(refused.code).toBe(1);

    expect((await k('scale', 'deployment/web', '--replicas=3')).code).toBe(0);
    const back = await answerFrom('client', `http://${webIP}`, 'the Service to answer again', 90_000);
    expect(back).toMatch(/^web-/);
  }, 240_000);

  it('is reached from a gVisor pod', async () => {
    expect((await apply(sleeper('sentry', {}, 'gvisor'))).code).toBe(0);
    await waitReady('pod/sentry');
    expect((await exec('sentry', 'dmesg')).stdout).toMatch(/gVisor/);
    const body = await answerFrom('sentry', `http://${webIP}`, 'the Service to answer the gVisor pod', 60_000);
    expect(body).toMatch(/^web-/);
  }, 180_000);

  it('lets a pod reach itself through its own Service (hairpin)', async () => {
    expect((await apply(LONER)).code).toBe(0);
    await waitReady('pod/loner');
    const ip = await jsonpath('service/loner', '{.spec.clusterIP}');
    const body = await answerFrom('loner', `http://${ip}`, 'the pod to reach itself through its Service', 30_000);
    expect(body).toBe('loner\n');
  }, 150_000);

  it('carries UDP through a Service', async () => {
    expect((await apply(sleeper('resolver', { app: 'resolver' }))).code).toBe(0);
    expect((await apply(UDP_SERVICE)).code).toBe(0);
    await waitReady('pod/resolver');
    const backendIP = await jsonpath('pod/resolver', '{.status.podIP}');
    const uid = await jsonpath('pod/resolver', '{.metadata.uid}');
    const responder = await startInNetns(`skiff-${uid}`, DNS_RESPONDER, backendIP);
    try {
      const ip = await jsonpath('service/resolver', '{.spec.clusterIP}');
      const answer = await eventually(
        async () => {
          const r = await exec('client', `timeout 10 nslookup -type=a -port=53 probe.test ${ip}`);
          return r.code === 0 ? r.stdout : undefined;
        },
        30_000,
        'a DNS answer through the UDP Service',
      );
      expect(answer).toContain(`Address: ${backendIP}`);
    } finally {
      responder.kill('SIGTERM');
    }
  }, 150_000);

  it('rebuilds its rules from the API when the agent restarts', async () => {
    const bridge = bridgeOf(await jsonpath('pod/client', '{.status.podIP}'));
    const table = `${bridge}_svc`;
    execFileSync('nft', ['delete', 'table', 'inet', table]);
    await cluster.stack.restart('sandbox-agent');
    const body = await answerFrom('client', `http://${webIP}`, 'the Service to answer after the restart', 60_000);
    expect(body).toMatch(/^web-/);
    expect(execFileSync('nft', ['list', 'table', 'inet', table]).toString()).toContain('service-svc/web/tcp/http');
  }, 180_000);
});

/** The bridge the host routes a pod address through (the agent's Service table is named after it). */
function bridgeOf(podIP: string): string {
  const m = / dev (skiff\w+) /.exec(execFileSync('ip', ['-o', 'route', 'get', podIP]).toString());
  if (!m) throw new Error(`no skiff bridge routes ${podIP}`);
  return m[1];
}

/** Runs a Node script inside a pod's network namespace, resolved once it prints "listening". */
function startInNetns(netns: string, script: string, ...args: string[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: process.cwd(),
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => c.toString().includes('listening') && resolve(child));
    child.once('exit', (code) => reject(new Error(`responder exited ${code}: ${err}`)));
  });
}
