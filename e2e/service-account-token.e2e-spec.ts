import { apiRequestFromPod, eventually, KubectlResult, startTestCluster, TestCluster } from '@skiff/testing';

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
      // From the pod's network namespace, with the files the pod itself read.
      const out = await eventually(
        async () => {
          const r = await apiRequestFromPod(uid, {
            method: 'POST',
            path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
            token,
            ca,
            body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
          });
          return r.status === 201 ? r.body : undefined;
        },
        30_000,
        'the API server to answer the pod',
      );
      expect(JSON.parse(out)).toMatchObject({
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
