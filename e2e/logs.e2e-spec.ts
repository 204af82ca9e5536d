import { eventually, startTestCluster, TestCluster } from '@skiff/testing';

// The shape of ASK's log collection example (a Deployment whose env names a stdout and a file logstore, the files on
// an emptyDir), with busybox in place of its image.
const ASK_EXAMPLE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: alpine
  labels: {app: alpine}
spec:
  replicas: 2
  selector:
    matchLabels: {app: alpine}
  template:
    metadata:
      labels: {app: alpine}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: alpine
          image: busybox
          command: [sh, -c]
          args: ['trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "ping $i"; echo "file line $i" >> /log/app.log; sleep 0.5; done']
          env:
            - {name: aliyun_logs_test-stdout, value: stdout}
            - {name: aliyun_logs_test-file, value: /log/*.log}
            - {name: aliyun_logs_test-file_tags, value: "origin=file"}
          volumeMounts:
            - {name: volumn-sls-mydemo, mountPath: /log}
      volumes:
        - {name: volumn-sls-mydemo, emptyDir: {}}
`;

// A pod writing to stdout and to an access log on an emptyDir, tagged, as the issue's acceptance has it.
const APP = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox
      command: [sh, -c]
      args:
        - |
          trap 'exit 0' TERM
          for i in 1 2 3 4 5; do echo "hello world $i"; echo "GET /index.html 200 $i" >> /var/log/app/access.log; done
          echo "an error happened"
          sleep 3600 & wait
      env:
        - {name: aliyun_logs_app, value: stdout}
        - {name: aliyun_logs_app_tags, value: "team=web,tier=front"}
        - {name: aliyun_logs_access, value: /var/log/app/*.log}
      volumeMounts:
        - {name: logs, mountPath: /var/log/app}
  volumes:
    - {name: logs, emptyDir: {}}
`;

interface QueryResult {
  items: { line: string; pod: string; container: string; source: string; tags: Record<string, string> }[];
  cursor?: string;
  histogram?: { from: string; to: string; count: number }[];
}

describe('Logs without a DaemonSet: collected by the sandbox host, stored and queried in log-svc (kubectl)', () => {
  let cluster: TestCluster;
  const ns = 'logs';

  const query = async (store: string, params: Record<string, string>, namespace = ns): Promise<QueryResult> => {
    const qs = new URLSearchParams({ from: new Date(Date.now() - 3_600_000).toISOString(), ...params });
    const r = await cluster.kubectl([
      'get',
      '--raw',
      `/apis/logs.skiff.io/v1/namespaces/${namespace}/logstores/${store}/query?${qs}`,
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as QueryResult;
  };
  const lines = async (store: string, params: Record<string, string>, namespace = ns) =>
    (await query(store, { order: 'asc', limit: '1000', ...params }, namespace)).items.map((i) => i.line);

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent', 'log-svc']);
    expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('collects stdout and a file of a pod into their logstores; queries by keyword, phrase, tag and container', async () => {
    expect((await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: APP })).code).toBe(0);
    await eventually(
      async () => (await lines('app', { query: 'error' }).catch(() => [])).length === 1,
      60_000,
      'the stdout lines in logstore app',
    );
    expect(await lines('app', { query: 'hello' })).toEqual([1, 2, 3, 4, 5].map((i) => `hello world ${i}`));
    expect(await lines('app', { query: '"world 3"' })).toEqual(['hello world 3']);
    expect(await lines('app', { query: 'hello AND NOT "world 2"' })).toHaveLength(4);
    expect(await lines('app', { query: 'tags.team:web AND container:main AND error' })).toEqual(['an error happened']);
    expect(await lines('app', { query: 'tags.team:db' })).toEqual([]);
    const access = await eventually(
      async () => {
        const got = await lines('access', { query: 'GET' }).catch(() => []);
        return got.length === 5 ? got : undefined;
      },
      60_000,
      'the file lines in logstore access',
    );
    expect(access[0]).toBe('GET /index.html 200 1');
    const first = (await query('access', { limit: '1', order: 'asc' })).items[0];
    expect(first).toMatchObject({ pod: 'web', container: 'main', source: 'file:/var/log/app/access.log' });

    const page = await query('app', { limit: '2', order: 'asc' });
    expect(page.items.map((i) => i.line)).toEqual(['hello world 1', 'hello world 2']);
    const next = await query('app', { limit: '2', order: 'asc', cursor: page.cursor! });
    expect(next.items.map((i) => i.line)).toEqual(['hello world 3', 'hello world 4']);
    const histogram = (await query('app', { histogram: '60' })).histogram ?? [];
    expect(histogram.reduce((n, b) => n + b.count, 0)).toBe(6);

    const stores = (await cluster.kubectl(['get', 'logstores', '-A'])).stdout;
    expect(stores).toMatch(new RegExp(`${ns}\\s+access`));
    expect(stores).toMatch(new RegExp(`${ns}\\s+app`));
    const bad = await cluster.kubectl([
      'get',
      '--raw',
      `/apis/logs.skiff.io/v1/namespaces/${ns}/logstores/app/query?query=(oops`,
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('BadRequest');
  }, 180_000);

  it("keeps a deleted pod's output: its log subresource answers from log-svc", async () => {
    expect((await cluster.kubectl(['delete', 'pod', '-n', ns, 'web', '--wait=true'])).code).toBe(0);
    const raw = await cluster.kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/web/log?tailLines=2`]);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toBe('hello world 5\nan error happened\n');
    const stamped = await cluster.kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/web/log?timestamps=true`]);
    expect(stamped.stdout.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z hello world 1$/);
    // kubectl logs GETs the pod first: its GET (only kubectl logs') gets a stand-in with a warning.
    const viaKubectl = await cluster.kubectl(['logs', '-n', ns, 'web']);
    expect(viaKubectl.code).toBe(0);
    expect(viaKubectl.stdout).toBe(`${[1, 2, 3, 4, 5].map((i) => `hello world ${i}\n`).join('')}an error happened\n`);
    expect(viaKubectl.stderr).toContain('Warning: pod "web" is gone: its logs are read from the log store');
    const flags = await cluster.kubectl(['logs', '-n', ns, 'pod/web', '-c', 'main', '--tail=1', '--timestamps', '-f']);
    expect(flags.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z an error happened\n$/);
    expect((await cluster.kubectl(['logs', '-n', ns, 'web', '-c', 'other'])).stderr).toContain(
      'container other is not valid for pod web',
    );
    expect((await cluster.kubectl(['logs', '-n', ns, 'web', '--previous'])).stderr).toContain(
      'previous terminated container "main" in pod "web" not found',
    );
    expect((await cluster.kubectl(['get', 'pod', '-n', ns, 'web'])).stderr).toContain('pods "web" not found');
    expect((await cluster.kubectl(['logs', '-n', ns, 'never-was'])).stderr).toContain('pods "never-was" not found');
    const never = await cluster.kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/never-was/log`]);
    expect(never.stderr).toContain('pods "never-was" not found');
  }, 60_000);

  it("serves ASK's example shape: both replicas' stdout and files, tagged, every line once and in order", async () => {
    expect((await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: ASK_EXAMPLE })).code).toBe(0);
    const replicas = async (store: string, q: string) =>
      new Set((await query(store, { query: q, limit: '1000' }).catch(() => undefined))?.items.map((i) => i.pod)).size;
    await eventually(async () => (await replicas('test-file', 'tags.origin:file')) === 2, 90_000, 'both files');
    await eventually(async () => (await replicas('test-stdout', 'ping')) === 2, 30_000, 'both stdouts');
    expect((await query('test-file', { limit: '1' })).items[0]).toMatchObject({
      container: 'alpine',
      source: 'file:/log/app.log',
      tags: { origin: 'file' },
      line: expect.stringMatching(/^file line \d+$/),
    });
    expect((await query('test-stdout', { limit: '1' })).items[0]).toMatchObject({ source: 'stdout', tags: {} });
    expect((await cluster.kubectl(['delete', 'deployment', '-n', ns, 'alpine'])).code).toBe(0);
    await eventually(
      async () => (await cluster.kubectl(['get', 'pods', '-n', ns, '-l', 'app=alpine', '-o', 'name'])).stdout === '',
      60_000,
      'the pods gone',
    );
    // Up to each pod's deletion: every line it wrote to each logstore, once, in order.
    for (const store of ['test-stdout', 'test-file']) {
      const items = (await query(store, { order: 'asc', limit: '1000' })).items;
      for (const pod of new Set(items.map((i) => i.pod))) {
        const numbers = items.filter((i) => i.pod === pod).map((i) => Number(/(\d+)$/.exec(i.line)![1]));
        expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      }
    }
  }, 180_000);

  it('loses and repeats nothing when log-svc and then the agent are restarted while a container writes', async () => {
    const counter = APP.replace('name: web', 'name: counter').replace(
      /args:[\s\S]*?env:/,
      `args: ['trap "exit 0" TERM; i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo "n $i"; sleep 0.02; done; sleep 3600 & wait']
      env:`,
    );
    expect((await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: counter })).code).toBe(0);
    await eventually(
      async () => (await lines('app', { query: 'pod:counter' }).catch(() => [])).length > 20,
      60_000,
      'the first lines',
    );
    await cluster.stack.restart('log-svc');
    await cluster.stack.restart('sandbox-agent');
    const got = await eventually(
      async () => {
        const all: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await query('app', {
            query: 'pod:counter',
            order: 'asc',
            limit: '1000',
            ...(cursor ? { cursor } : {}),
          });
          all.push(...page.items.map((i) => i.line));
          cursor = page.cursor;
        } while (cursor);
        return all.length >= 400 ? all : undefined;
      },
      120_000,
      'all 400 lines',
    );
    expect(got).toEqual(Array.from({ length: 400 }, (_, i) => `n ${i + 1}`));
  }, 240_000);
});
