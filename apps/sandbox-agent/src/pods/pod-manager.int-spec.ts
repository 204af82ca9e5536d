import { promises as fs } from 'node:fs';
import { ipamSubjects } from '@skiff/messaging';
import { JSONCodec } from 'nats';
import { PodNetwork } from '../network/pod-network';
import { PodManager } from './pod-manager.service';
import { PodManagerTestBed, waitFor } from './pod-manager.fixture';
import { Pod } from '@skiff/kube-types';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('PodManager integration tests skipped: runc, conmon, mounts and netns need root');

jest.setTimeout(120_000);

const TERM_FRIENDLY = 'trap "exit 0" TERM; while true; do sleep 1; done';

(asRoot ? describe : describe.skip)(`${PodManager.name} (runc, in-process against api-gateway + network-svc)`, () => {
  const bed = new PodManagerTestBed('10.244.253');

  beforeAll(async () => {
    await bed.start();
  }, 180_000);

  afterAll(async () => {
    await bed.dispose();
  }, 120_000);

  const phaseOf = (name: string, phase: string) =>
    waitFor(
      `${name} ${phase}`,
      async () => {
        const p = await bed.getPod(name);
        return p.status?.phase === phase ? p : undefined;
      },
      60_000,
    );

  const execIn = async (pod: Pod, container: string, cmd: string[]) => {
    const id = pod.status!.containerStatuses!.find((c) => c.name === container)!.containerID!.replace('skiff://', '');
    return (await bed.host.runtimes.runc.runtime.execCollect(id, cmd)).stdout.trim();
  };

  it('runs an init container then two containers, and reports a Running status like kubelet', async () => {
    await bed.client
      .resource({ group: '', version: 'v1', resource: 'configmaps', namespaced: true })
      .create(bed.namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'greeting' },
        data: { word: 'hello' },
      });
    await bed.createPod('web', {
      initContainers: [
        {
          name: 'setup',
          image: 'busybox',
          command: ['sh', '-c', 'echo prepared > /work/ready'],
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
        },
      ],
      containers: [
        {
          name: 'a',
          image: 'busybox',
          command: [
            'sh',
            '-c',
            `echo "$(GREETING) from $(POD_NAME) at $POD_IP in $NS, $(cat /work/ready)"; ${TERM_FRIENDLY}`,
          ],
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'greeting', key: 'word' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          ],
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
        },
        { name: 'b', image: 'busybox', command: ['sh', '-c', TERM_FRIENDLY] },
      ],
      volumes: [{ name: 'work', emptyDir: {} }],
    });
    const pod = await phaseOf('web', 'Running');
    const running = await waitFor('both ready', async () => {
      const p = await bed.getPod('web');
      return p.status?.containerStatuses?.every((c) => c.ready) ? p : undefined;
    });
    const s = running.status!;
    expect(s.podIP).toMatch(/^10\.244\.253\.\d+$/);
    expect(s.podIPs).toEqual([{ ip: s.podIP }]);
    expect(s.hostIP).toBe('10.244.253.1');
    expect(s.startTime).toBeDefined();
    expect(s.qosClass).toBe('BestEffort');
    expect(Object.fromEntries(s.conditions!.map((c) => [c.type, c.status]))).toEqual({
      Initialized: 'True',
      Ready: 'True',
      ContainersReady: 'True',
      PodScheduled: 'True',
    });
    expect(s.initContainerStatuses).toEqual([
      expect.objectContaining({
        name: 'setup',
        ready: false,
        restartCount: 0,
        state: { terminated: expect.objectContaining({ exitCode: 0, reason: 'Completed' }) },
      }),
    ]);
    for (const name of ['a', 'b']) {
      const c = s.containerStatuses!.find((x) => x.name === name)!;
      expect(c).toMatchObject({
        ready: true,
        started: true,
        restartCount: 0,
        image: 'busybox',
        state: { running: { startedAt: expect.any(String) } },
      });
      expect(c.imageID).toMatch(/^docker\.io\/library\/busybox@sha256:[a-f0-9]{64}$/);
      expect(c.containerID).toMatch(/^skiff:\/\/skiff-/);
    }
    const log = await waitFor('log line', async () => {
      const text = await fs.readFile(bed.host.logPath(pod.metadata.uid!, 'a', 0), 'utf8').catch(() => '');
      return text.includes('hello') ? text : undefined;
    });
    expect(log).toMatch(
      new RegExp(` stdout F hello from web at ${s.podIP!.replace(/\./g, '\\.')} in ${bed.namespace}, prepared$`, 'm'),
    );
    expect(await execIn(running, 'b', ['hostname'])).toBe('web');
    // Containers of one pod share IPC and UTS through the pause (runc run --detach, no conmon).
    const ids = (await bed.host.runtimes.runc.runtime.list())
      .map((c) => c.id)
      .filter((id) => id.includes(pod.metadata.uid!));
    expect(ids.map((id) => id.slice(id.lastIndexOf('_') + 1)).sort()).toEqual(['POD', 'a', 'b']);
    const events = await bed.client
      .resource({ group: '', version: 'v1', resource: 'events', namespaced: true })
      .list(bed.namespace);
    const reasons = (events.items as unknown as { reason: string; involvedObject: { name: string } }[])
      .filter((e) => e.involvedObject.name === 'web')
      .map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Pulled', 'Created', 'Started']));
  });

  it('restartPolicy Never: a container that exits 3 makes the pod Failed with exitCode 3', async () => {
    await bed.createPod('fails', {
      restartPolicy: 'Never',
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo bye; exit 3'] }],
    });
    const pod = await phaseOf('fails', 'Failed');
    const c = pod.status!.containerStatuses![0];
    expect(c.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
      finishedAt: expect.any(String),
      containerID: expect.stringMatching(/^skiff:\/\//),
    });
    expect(c.restartCount).toBe(0);
    expect(pod.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    // Finished: the sandbox and the address go, the status and the log stay until the pod is deleted.
    const uid = pod.metadata.uid!;
    await waitFor(
      'sandbox released',
      async () => !(await bed.host.runner.run('ip', ['netns', 'list'])).stdout.includes(uid),
    );
    expect((await bed.host.runtimes.runc.runtime.list()).filter((x) => x.id.includes(uid))).toEqual([]);
    // The address goes back to the pool right after the netns; a second release finds nothing to free.
    await waitFor('address released', async () => !(await bed.ipamHolds(uid)));
    const reply = await bed.nats.request(ipamSubjects(bed.cluster.prefix).release, JSONCodec().encode({ podUid: uid }));
    expect(JSONCodec().decode(reply.data)).toEqual({ released: false });
    expect(await fs.readFile(bed.host.logPath(uid, 'main', 0), 'utf8')).toMatch(/ stdout F bye$/m);
    expect((await bed.getPod('fails')).status!.podIP).toBe(pod.status!.podIP);
  });

  it('restartPolicy Never with a failing init container fails the pod before any app container runs', async () => {
    await bed.createPod('badinit', {
      restartPolicy: 'Never',
      initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'exit 2'] }],
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
    });
    const pod = await phaseOf('badinit', 'Failed');
    expect(pod.status!.initContainerStatuses![0].state?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(pod.status!.containerStatuses![0].state?.waiting).toMatchObject({ reason: 'PodInitializing' });
    expect(pod.status!.conditions!.find((x) => x.type === 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
    });
  });

  it('a crashing container goes to CrashLoopBackOff with a growing restartCount, one log file per run', async () => {
    const created = await bed.createPod('crash', {
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo run; exit 1'] }],
    });
    const seen = new Set<string>();
    const pod = await waitFor(
      'restartCount 2 in CrashLoopBackOff',
      async () => {
        const p = await bed.getPod('crash');
        const c = p.status?.containerStatuses?.[0];
        if (c?.state?.waiting?.reason) seen.add(c.state?.waiting.reason);
        return c && c.restartCount >= 2 && c.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
      },
      60_000,
    );
    const c = pod.status!.containerStatuses![0];
    expect(pod.status!.phase).toBe('Running');
    expect(c.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(c.state?.waiting!.message).toMatch(/^back-off (10|20)s restarting failed container=main pod=crash_/);
    expect(seen).toContain('CrashLoopBackOff');
    for (const n of [0, 1])
      expect(await fs.readFile(bed.host.logPath(created.metadata.uid!, 'main', n), 'utf8')).toMatch(/ stdout F run$/m);
  });

  it('a missing image gives ErrImagePull with skopeo’s error, then ImagePullBackOff', async () => {
    await bed.createPod('noimage', {
      containers: [{ name: 'main', image: `busybox-missing-${bed.tag}:1.0`, command: ['true'] }],
    });
    const reasons = new Map<string, string>();
    await waitFor('ErrImagePull and ImagePullBackOff', async () => {
      const w = (await bed.getPod('noimage')).status?.containerStatuses?.[0]?.state?.waiting;
      if (w?.reason) reasons.set(w.reason, w.message ?? '');
      return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff');
    });
    expect(reasons.get('ErrImagePull')).toMatch(/manifest unknown|not found|name unknown/i);
    expect(reasons.get('ImagePullBackOff')).toMatch(/^Back-off pulling image "busybox-missing-/);
    expect((await bed.getPod('noimage')).status!.phase).toBe('Pending');
  });

  it('a ConfigMap volume follows updates of the ConfigMap through the ..data swap', async () => {
    const cms = bed.client.resource({ group: '', version: 'v1', resource: 'configmaps', namespaced: true });
    await cms.create(bed.namespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { mode: 'v1', other: 'x' },
    });
    await bed.createPod('reader', {
      containers: [
        {
          name: 'main',
          image: 'busybox',
          command: ['sh', '-c', TERM_FRIENDLY],
          volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
        },
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'mode', path: 'conf/mode', mode: 0o600 }] } },
      ],
    });
    const pod = await phaseOf('reader', 'Running');
    // A lone container has no pause to share IPC/UTS with: it owns them, hostname included.
    expect(
      (await bed.host.runtimes.runc.runtime.list()).map((c) => c.id).filter((id) => id.includes(pod.metadata.uid!)),
    ).toEqual([expect.stringMatching(/_main$/)]);
    expect(await execIn(pod, 'main', ['hostname'])).toBe('reader');
    expect(await execIn(pod, 'main', ['cat', '/etc/cfg/conf/mode'])).toBe('v1');
    expect(await execIn(pod, 'main', ['sh', '-c', 'ls -A /etc/cfg | sort | tr "\\n" " "'])).toMatch(
      /^\.\.\S+ \.\.data conf$/,
    );
    expect(await execIn(pod, 'main', ['stat', '-L', '-c', '%a', '/etc/cfg/conf/mode'])).toBe('600');
    expect(
      (
        await bed.host.runtimes.runc.runtime.execCollect(
          pod.status!.containerStatuses![0].containerID!.replace('skiff://', ''),
          ['sh', '-c', 'echo x > /etc/cfg/new'],
        )
      ).code,
    ).not.toBe(0);
    await cms.patch(bed.namespace, 'settings', { data: { mode: 'v2' } }, 'merge');
    await waitFor(
      'updated file',
      async () => (await execIn(pod, 'main', ['cat', '/etc/cfg/conf/mode'])) === 'v2',
      30_000,
    );
  });

  it('a restarted agent (new PodManager) re-adopts a running pod and keeps its status', async () => {
    await bed.createPod('survivor', {
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', TERM_FRIENDLY] }],
    });
    const before = await phaseOf('survivor', 'Running');
    const id = before.status!.containerStatuses![0].containerID!;
    await bed.manager.stop();
    bed.manager = await bed.newManager();
    expect(bed.manager.known().map((r) => r.name)).toContain('survivor');
    await bed.manager.sync({ podUid: before.metadata.uid!, namespace: bed.namespace, name: 'survivor' });
    await new Promise((r) => setTimeout(r, 2_500));
    const after = await bed.getPod('survivor');
    expect(after.status!.phase).toBe('Running');
    expect(after.status!.containerStatuses![0]).toMatchObject({
      containerID: id,
      restartCount: 0,
      ready: true,
      state: { running: before.status!.containerStatuses![0].state?.running },
    });
    expect(after.status!.podIP).toBe(before.status!.podIP);
    // The adopted container is still watched: killing it is noticed and it is restarted.
    await bed.host.runtimes.runc.runtime.kill(id.replace('skiff://', ''), 'SIGKILL');
    const restarted = await waitFor('restart after kill', async () => {
      const c = (await bed.getPod('survivor')).status?.containerStatuses?.[0];
      return c && c.restartCount === 1 && c.state?.running ? c : undefined;
    });
    expect(restarted.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('probes: readiness (httpGet to the pod IP) gates Ready; a failing liveness probe restarts the container', async () => {
    await bed.createPod('probed', {
      containers: [
        {
          name: 'web',
          image: 'busybox',
          command: ['sh', '-c', 'sleep 2; mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www'],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: {
            httpGet: { path: '/healthz', port: 'http' },
            periodSeconds: 1,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 30 },
        },
        {
          name: 'sick',
          image: 'busybox',
          command: ['sh', '-c', TERM_FRIENDLY],
          livenessProbe: {
            exec: { command: ['cat', '/tmp/never'] },
            initialDelaySeconds: 1,
            periodSeconds: 1,
            failureThreshold: 2,
          },
        },
      ],
    });
    const early = await waitFor('web running', async () => {
      const c = (await bed.getPod('probed')).status?.containerStatuses?.find((x) => x.name === 'web');
      return c?.state?.running ? c : undefined;
    });
    expect(early.ready).toBe(false);
    await waitFor(
      'web ready',
      async () => (await bed.getPod('probed')).status?.containerStatuses?.find((x) => x.name === 'web')?.ready === true,
    );
    const sick = await waitFor('sick restarted by liveness', async () => {
      const c = (await bed.getPod('probed')).status?.containerStatuses?.find((x) => x.name === 'sick');
      return c && c.restartCount >= 1 ? c : undefined;
    });
    expect(sick.lastState?.terminated).toBeDefined();
  });

  it('runtimeClassName gvisor runs the pod under runsc (its own kernel), and deletes it', async () => {
    const created = await bed.createPod('gv', {
      runtimeClassName: 'gvisor',
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', `dmesg | head -1; ${TERM_FRIENDLY}`] }],
    });
    await phaseOf('gv', 'Running');
    expect(bed.manager.known().find((r) => r.name === 'gv')!.runtime).toBe('runsc');
    const log = await waitFor('gVisor dmesg', async () => {
      const t = await fs.readFile(bed.host.logPath(created.metadata.uid!, 'main', 0), 'utf8').catch(() => '');
      return /gVisor/i.test(t) ? t : undefined;
    });
    expect(log).toMatch(/gVisor/i);
    await bed.pods().delete(bed.namespace, 'gv', { gracePeriodSeconds: 5 });
    await bed.manager.sync({ podUid: created.metadata.uid!, namespace: bed.namespace, name: 'gv' });
    await expect(bed.getPod('gv')).rejects.toMatchObject({ code: 404 });
    expect(await bed.host.runtimes.runsc.runtime.list()).toEqual([]);
  });

  it('deletes gracefully: containers stopped, sandbox, netns and volumes removed, IP released, pod object gone', async () => {
    const pod = await bed.getPod('web');
    const uid = pod.metadata.uid!;
    await bed.pods().delete(bed.namespace, 'web', { gracePeriodSeconds: 5 });
    await bed.manager.sync({ podUid: uid, namespace: bed.namespace, name: 'web' });
    await expect(bed.getPod('web')).rejects.toMatchObject({ code: 404 });
    expect((await bed.host.runtimes.runc.runtime.list()).filter((c) => c.id.includes(uid))).toEqual([]);
    expect((await bed.host.runner.run('ip', ['netns', 'list'])).stdout).not.toContain(uid);
    expect((await bed.host.runner.run('ip', ['-o', 'link'])).stdout).not.toContain(PodNetwork.hostVethName(uid));
    expect((await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(uid)).toBe(false);
    expect(bed.manager.known().map((r) => r.uid)).not.toContain(uid);
    const reply = await bed.nats.request(ipamSubjects(bed.cluster.prefix).release, JSONCodec().encode({ podUid: uid }));
    expect(JSONCodec().decode(reply.data)).toEqual({ released: false });
  });
});
