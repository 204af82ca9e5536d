import { eventually, KubectlResult, startTestCluster, TestCluster } from '@skiff/testing';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// What a client in the pod does with its kube-api-access volume: trust ca.crt, present the token, ask
// kubernetes.default.svc (10.96.0.1:443) who it is. Run with node in the pod's network namespace (busybox has no
// TLS client that verifies), with the files the pod itself read.
const WHOAMI_PROBE = `
const https = require('node:https');
const [token, ca] = process.argv.slice(1);
const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
const req = https.request({ host: '10.96.0.1', port: 443, servername: 'kubernetes.default.svc', method: 'POST',
  path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', ca,
  headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' } }, (res) => {
  let out = '';
  res.on('data', (d) => (out += d));
  res.on('end', () => console.log(res.statusCode + ' ' + out));
});
req.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
req.end(body);
`;

describe('ServiceAccount token in a pod (kubectl, runc and gVisor)', () => {
  let cluster: TestCluster;
  const ns = 'sa-token';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const exec = (pod: string, script: string): Promise<KubectlResult> =>
    cluster.kubectl(['exec', '-n', ns, pod, '--', 'sh', '-c', script]);
  const sleeper = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
${extra}  containers:
  - name: main
    image: busybox
    command: [sh, -c, "trap 'exit 0' TERM; sleep 3600 & wait"]
`;
  const whoamiFrom = (uid: string, token: string, ca: string) =>
    execFileSync(
      'ip',
      ['netns', 'exec', `skiff-${uid}`, process.execPath, '-e', WHOAMI_PROBE, token, readFileSync(ca, 'utf8')],
      {
        timeout: 20_000,
      },
    ).toString();

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    await cluster.kubectl(['create', 'namespace', ns]);
    expect((await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: sleeper('reader') })).code).toBe(0);
    expect(
      (
        await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
          stdin: sleeper('quiet', '  automountServiceAccountToken: false\n'),
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
          stdin: sleeper('reader-gvisor', '  runtimeClassName: gvisor\n'),
        })
      ).code,
    ).toBe(0);
    expect(
      (await k('wait', '--for=condition=Ready', 'pod/reader', 'pod/quiet', 'pod/reader-gvisor', '--timeout=180s')).code,
    ).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it.each(['reader', 'reader-gvisor'])(
    '%s reads its token, CA and namespace; the API server knows it as its ServiceAccount',
    async (pod) => {
      const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
      const token = (await exec(pod, `cat ${dir}/token`)).stdout;
      const ca = (await exec(pod, `cat ${dir}/ca.crt`)).stdout;
      expect((await exec(pod, `cat ${dir}/namespace`)).stdout).toBe(ns);
      expect(ca).toBe(cluster.stack.ca.toString());
      expect(token).toMatch(/^ey[\w-]+\.ey[\w-]+\.[\w-]+$/);
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      const uid = (await k('get', `pod/${pod}`, '-o', 'jsonpath={.metadata.uid}')).stdout;
      expect(claims['kubernetes.io']).toMatchObject({ namespace: ns, pod: { name: pod, uid } });
      expect((claims.exp as number) - (claims.iat as number)).toBe(3607);
      // Read-only for the container.
      expect((await exec(pod, `echo x > ${dir}/token`)).code).not.toBe(0);
      const out = await eventually(
        async () => {
          const r = whoamiFrom(uid, token, path.join(cluster.stateDir, 'pki', 'ca.crt'));
          return r.startsWith('201 ') ? r : undefined;
        },
        30_000,
        'the API server to answer the pod',
      );
      expect(JSON.parse(out.slice(4))).toMatchObject({
        status: { userInfo: { username: `system:serviceaccount:${ns}:default` } },
      });
    },
  );

  it('mounts nothing with automountServiceAccountToken: false', async () => {
    const r = await exec('quiet', 'ls /var/run/secrets/kubernetes.io/serviceaccount');
    expect(r.code).not.toBe(0);
    expect((await k('get', 'pod/quiet', '-o', 'jsonpath={.spec.volumes}')).stdout).toBe('');
  });
});
