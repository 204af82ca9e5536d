// Sends hostile requests to a test cluster over keep-alive connections, checks each answer, then checks the cluster:
// every service alive, /readyz ok, nothing stored in the fuzz namespaces that validation refuses.
import { createPrivateKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { TestCluster } from '../test-cluster';
import { answerProblems, HostileAnswer, storedObjectProblems } from './hostile-checks';
import {
  HOSTILE_CATEGORIES,
  HostileCategory,
  HostileRequest,
  hostileSeedObjects,
  HostileTargets,
  sampleHostileRequests,
} from './hostile-requests';

const USER = 'fuzz-user';
const USER_NAMESPACE = 'fuzz-a';
const HIDDEN_NAMESPACE = 'fuzz-b';
// Requests are drawn in batches: a batch's huge bodies are all that is held at once.
const BATCH = 500;
// A watch the server accepted is read this long, then the client hangs up.
const WATCH_READ_MS = 500;
const ANSWER_TIMEOUT_MS = 30_000;
const SLOWEST = 5;

/** The unprivileged user's static token, in a token file the cluster reads (`SKIFF_TOKEN_AUTH_FILE`). */
export interface HostileUser {
  token: string;
  env: Record<string, string>;
  remove(): void;
}

export function hostileUser(): HostileUser {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-fuzz-'));
  const token = `fuzz-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const file = path.join(dir, 'tokens.csv');
  writeFileSync(file, `${token},${USER},fuzz-uid\n`);
  return { token, env: { SKIFF_TOKEN_AUTH_FILE: file }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface HostileRunOptions {
  seed: number;
  requests: number;
  concurrency: number;
  /** Called after every `progressEvery` answers. */
  onProgress?: (done: number, summary: HostileRunSummary) => void;
  progressEvery?: number;
  /** Called with each answer's latency (also for requests that got none). */
  onAnswer?: (req: HostileRequest, ms: number) => void;
}

export interface HostileProblem {
  problem: string;
  count: number;
  /** The first request that showed it: its index in the seed's sequence and what it was. */
  first: string;
}

export interface HostileRunSummary {
  seed: number;
  requests: number;
  elapsedMs: number;
  byCategory: Record<HostileCategory, number>;
  byStatus: Record<string, number>;
  /** Objects in the fuzz namespaces re-validated after the run (ObjectMeta rules and a dry-run update each). */
  storedChecked: number;
  problems: HostileProblem[];
  /** The slowest requests, slowest first: what to look at when the rate drops. */
  slowest: { ms: number; request: string }[];
}

/** Sets up the fuzz namespaces, user and tokens, sends `requests` hostile requests drawn from `seed`, checks everything. */
export async function runHostileRequests(
  cluster: TestCluster,
  user: HostileUser,
  opts: HostileRunOptions,
): Promise<HostileRunSummary> {
  const client = new HostileClient(cluster, user.token, opts.concurrency);
  try {
    const targets = await setUp(client, cluster);
    const summary: HostileRunSummary = {
      seed: opts.seed,
      requests: 0,
      elapsedMs: 0,
      byCategory: Object.fromEntries(HOSTILE_CATEGORIES.map((c) => [c, 0])) as Record<HostileCategory, number>,
      byStatus: {},
      storedChecked: 0,
      problems: [],
      slowest: [],
    };
    const problems = new Map<string, HostileProblem>();
    const note = (problem: string, first: string): void => {
      const p = problems.get(problem);
      if (p) p.count++;
      else problems.set(problem, { problem, count: 1, first });
    };
    const started = Date.now();
    for (let from = 0; from < opts.requests; from += BATCH) {
      // Each batch from its own seed, so a run of any length can be replayed from its seed.
      const batch = sampleHostileRequests(targets, opts.seed + from, Math.min(BATCH, opts.requests - from));
      await pool(batch, opts.concurrency, async (req, i) => {
        const sent = performance.now();
        const ans = await client.send(req).catch((err: Error) => err);
        const ms = performance.now() - sent;
        opts.onAnswer?.(req, ms);
        if (summary.slowest.length < SLOWEST || ms > summary.slowest[SLOWEST - 1].ms) {
          summary.slowest.push({ ms, request: describe(from + i, req, ans) });
          summary.slowest.sort((a, b) => b.ms - a.ms).splice(SLOWEST);
        }
        summary.requests++;
        summary.byCategory[req.category]++;
        const statusKey = ans instanceof Error ? 'no answer' : String(ans.status);
        summary.byStatus[statusKey] = (summary.byStatus[statusKey] ?? 0) + 1;
        const found = ans instanceof Error ? [`no answer: ${ans.message}`] : answerProblems(req, ans, targets);
        for (const p of found) note(`${req.category}: ${p}`, describe(from + i, req, ans));
        summary.elapsedMs = Date.now() - started;
        if (opts.onProgress && summary.requests % (opts.progressEvery ?? 1000) === 0)
          opts.onProgress(summary.requests, { ...summary, problems: [...problems.values()] });
      });
    }
    summary.elapsedMs = Date.now() - started;
    for (const p of await clusterProblems(client, cluster)) note(p.problem, p.first);
    summary.storedChecked = (await storedProblems(client, (problem, first) => note(problem, first))).checked;
    summary.problems = [...problems.values()];
    return summary;
  } finally {
    client.close();
  }
}

function describe(index: number, req: HostileRequest, ans: HostileAnswer | Error): string {
  const headers = Object.entries(req.headers)
    .filter(([k]) => k !== 'content-type')
    .map(([k, v]) => `${k}: ${String(v)}`);
  const auth =
    req.sender.as === 'header' ? `authorization: ${req.sender.authorization.slice(0, 60)}` : `as ${req.sender.as}`;
  const body = req.body
    ? `${req.headers['content-type']} ${req.body.length} bytes ${JSON.stringify(req.body.subarray(0, 60).toString())}`
    : '';
  const answer = ans instanceof Error ? ans.message : `${ans.status} ${ans.body.subarray(0, 200).toString()}`;
  return `#${index} ${req.method} ${req.path.slice(0, 200)} (${[auth, ...headers, body].filter(Boolean).join('; ')}) -> ${answer}`;
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
async function pool<T>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Namespaces, the user's Role, the objects patches aim at, an expired real token and a token signed by another key. */
async function setUp(client: HostileClient, cluster: TestCluster): Promise<HostileTargets> {
  const admin = async (method: string, p: string, body: unknown): Promise<HostileAnswer> => {
    const ans = await client.send({
      category: 'broken-body',
      method,
      path: p,
      sender: { as: 'admin' },
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
    });
    if (ans.status >= 300) throw new Error(`set-up ${method} ${p}: ${ans.status} ${ans.body.toString()}`);
    return ans;
  };
  for (const ns of [USER_NAMESPACE, HIDDEN_NAMESPACE]) {
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const o of hostileSeedObjects(ns)) await admin('POST', o.collection, o.object);
  }
  const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${USER_NAMESPACE}`;
  await admin('POST', `${rbac}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'fuzz' },
    rules: [
      {
        apiGroups: ['', 'apps'],
        resources: ['configmaps', 'pods', 'pods/status', 'deployments', 'deployments/scale', 'deployments/status'],
        verbs: ['*'],
      },
    ],
  });
  await admin('POST', `${rbac}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'fuzz' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'fuzz' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: USER }],
  });
  const sa = `/api/v1/namespaces/${USER_NAMESPACE}/serviceaccounts`;
  await admin('POST', sa, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fuzz' } });
  const tokenRequest = await admin('POST', `${sa}/fuzz/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: {},
  });
  const real = (JSON.parse(tokenRequest.body.toString()) as { status: { token: string } }).status.token;
  const [header, payload] = real
    .split('.')
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as object);
  const now = Math.floor(Date.now() / 1000);
  const expired = { ...payload, iat: now - 7200, nbf: now - 7200, exp: now - 3600 };
  const clusterKey = createPrivateKey(readFileSync(path.join(cluster.stateDir, 'pki', 'sa.key')));
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  return {
    userNamespace: USER_NAMESPACE,
    hiddenNamespace: HIDDEN_NAMESPACE,
    expiredToken: signJwt(header, expired, clusterKey),
    foreignToken: signJwt(header, payload, otherKey),
  };
}

// ES256, as the cluster's own key signs (jwt.ts in api-gateway).
function signJwt(header: object, claims: object, key: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** Every service process still running, and the API server ready. */
async function clusterProblems(
  client: HostileClient,
  cluster: TestCluster,
): Promise<{ problem: string; first: string }[]> {
  const problems: { problem: string; first: string }[] = [];
  for (const [name, svc] of cluster.stack.services)
    if (svc.child.exitCode !== null || svc.child.signalCode !== null)
      problems.push({
        problem: `${name} exited`,
        first: `exit code ${svc.child.exitCode}, signal ${svc.child.signalCode}`,
      });
  const ready = await client.send({
    category: 'broken-body',
    method: 'GET',
    path: '/readyz',
    sender: { as: 'admin' },
    headers: {},
  });
  if (ready.status !== 200)
    problems.push({ problem: '/readyz not ok after the run', first: `${ready.status} ${ready.body.toString()}` });
  return problems;
}

/** Every object in the fuzz namespaces: ObjectMeta rules, and a dry-run update (the API server's own validation) accepted. */
async function storedProblems(
  client: HostileClient,
  note: (problem: string, first: string) => void,
): Promise<{ checked: number }> {
  let checked = 0;
  for (const ns of [USER_NAMESPACE, HIDDEN_NAMESPACE])
    for (const { collection, object } of hostileSeedObjects(ns)) {
      const get = (p: string): Promise<HostileAnswer> =>
        client.send({ category: 'broken-body', method: 'GET', path: p, sender: { as: 'admin' }, headers: {} });
      const list = await get(collection);
      const items = (JSON.parse(list.body.toString()) as { items: { metadata: { name: string } }[] }).items;
      for (const item of items) {
        checked++;
        const where = `${collection}/${item.metadata.name}`;
        for (const p of storedObjectProblems(item)) note(`stored after the run: ${p}`, where);
        const typed = { apiVersion: object.apiVersion, kind: object.kind, ...item };
        const update = await client.send({
          category: 'broken-body',
          method: 'PUT',
          path: `${where}?dryRun=All`,
          sender: { as: 'admin' },
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify(typed)),
        });
        if (update.status >= 300)
          note(
            'stored after the run: an object its own update validation refuses',
            `${where} -> ${update.status} ${update.body.subarray(0, 300).toString()}`,
          );
      }
    }
  return { checked };
}

/** HTTPS over keep-alive connections, as the admin, the fuzz user or a raw Authorization header. */
class HostileClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    private readonly cluster: TestCluster,
    private readonly userToken: string,
    sockets: number,
  ) {
    this.url = new URL(cluster.stack.server);
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, ca: cluster.stack.ca });
  }

  send(req: HostileRequest): Promise<HostileAnswer> {
    const authorization =
      req.sender.as === 'admin'
        ? `Bearer ${this.cluster.stack.token}`
        : req.sender.as === 'user'
          ? `Bearer ${this.userToken}`
          : req.sender.authorization;
    return new Promise((resolve, reject) => {
      const r = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          // Node refuses characters outside latin-1 in a request line: those are sent percent-encoded.
          path: req.path.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)),
          method: req.method,
          agent: this.agent,
          timeout: ANSWER_TIMEOUT_MS,
          headers: {
            accept: 'application/json',
            authorization,
            ...req.headers,
            ...(req.body ? { 'content-length': req.body.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          const status = res.statusCode ?? 0;
          const streamed = status < 300 && /[?&]watch=(true|1)/.test(req.path);
          const done = (): void => resolve({ status, body: Buffer.concat(chunks), streamed });
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', done);
          res.on('error', reject);
          if (streamed)
            setTimeout(() => {
              r.destroy();
              done();
            }, WATCH_READ_MS);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)));
      r.on('error', reject);
      r.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
