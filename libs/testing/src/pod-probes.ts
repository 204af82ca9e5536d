import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually, TestCluster } from './test-cluster';

type PodManifest = {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
};

/** A busybox pod that sleeps for an hour and ends at once on TERM; `spec` adds to (or replaces) its spec's fields. */
export function sleeperPod(name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] }],
      ...spec,
    },
  } satisfies PodManifest;
}

/** A busybox httpd on port 8080 (named `http`) answering its hostname, labelled `app: web`, Ready once it listens. */
export function webServerPod(name: string, runtimeClassName?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: {
      ...(runtimeClassName ? { runtimeClassName } : {}),
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'httpd',
          image: 'busybox',
          command: ['sh', '-c', 'mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www'],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  } satisfies PodManifest;
}

/**
 * Pod-to-pod HTTP through the real data path: `kubectl exec` runs busybox wget in `pod` against `ip:8080`. A dropped
 * SYN never answers, so busybox `timeout` bounds the attempt (busybox 1.35's `wget -T` segfaults).
 */
export function podHttp(kubectl: TestCluster['kubectl'], namespace: string) {
  const get = async (pod: string, ip: string) =>
    (await kubectl(['exec', '-n', namespace, pod, '--', 'sh', '-c', `timeout 2 wget -qO- http://${ip}:8080`])).code ===
    0;
  return {
    get,
    reaches: (pod: string, ip: string, what: string) =>
      eventually(async () => (await get(pod, ip)) || undefined, 30_000, what),
    blocked: (pod: string, ip: string, what: string) =>
      eventually(async () => !(await get(pod, ip)) || undefined, 30_000, what),
  };
}

// What a client in a pod does with its kube-api-access volume: trust ca.crt, present the token, ask
// kubernetes.default.svc (10.96.0.1:443). Run with node in the pod's network namespace (busybox has no TLS client
// that verifies a certificate).
const API_PROBE = `
const https = require('node:https');
const [method, path, token, ca, body] = process.argv.slice(1);
const req = https.request({ host: '10.96.0.1', port: 443, servername: 'kubernetes.default.svc', method, path, ca,
  headers: { authorization: 'Bearer ' + token, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
  let out = '';
  res.on('data', (d) => (out += d));
  res.on('end', () => console.log(res.statusCode + ' ' + out));
});
req.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
req.end(body || undefined);
`;

/**
 * A request to the API server from a pod's network namespace (`skiff-<uid>`, the agent's) with the credentials the
 * pod holds: its ServiceAccount token and the CA (PEM) it trusts. Rejects when the connection fails.
 */
export async function apiRequestFromPod(
  podUid: string,
  req: { method: string; path: string; token: string; ca: string; body?: unknown },
): Promise<{ status: number; body: string }> {
  const body = req.body === undefined ? '' : JSON.stringify(req.body);
  const { stdout } = await promisify(execFile)(
    'ip',
    [
      'netns',
      'exec',
      `skiff-${podUid}`,
      process.execPath,
      '-e',
      API_PROBE,
      req.method,
      req.path,
      req.token,
      req.ca,
      body,
    ],
    { timeout: 20_000 },
  );
  const m = /^(\d+) ([\s\S]*)$/.exec(stdout.trim());
  if (!m) throw new Error(`no answer from the API server: ${stdout}`);
  return { status: Number(m[1]), body: m[2] };
}

/** Denies all ingress to every pod of the namespace it is applied in. */
export const DENY_INGRESS = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`;
/** Reopens ingress to `app: web` pods' named port `http` from `role: client` pods (see webServerPod). */
export const ALLOW_CLIENTS = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-clients}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{podSelector: {matchLabels: {role: client}}}]
      ports: [{port: http}]
`;
