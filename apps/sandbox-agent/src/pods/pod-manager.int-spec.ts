import { promises as fs } from 'node:fs';
import { ipamSubjects } from '@skiff/messaging';
import { JSONCodec } from 'nats';
import { PodNetwork } from '../network/pod-network';
import { PodManager } from './pod-manager.service';
import { PodManagerTestBed, waitFor } from './pod-manager.fixture';
import { Pod } from './pod.types';

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

  const phaseOf = (name: string, phase: string) => waitFor(`${name} ${phase}`, async () => {
    const p = await bed.getPod(name);
    return p.status?.phase === phase ? p : undefined;
  }, 60_000);

  const execIn = async (pod: Pod, container: string, cmd: string[]) => {
    const id = pod.status!.containerStatuses!.find((c) => c.name === container)!.containerID!.replace('skiff://', '');
    return (await bed.host.runtimes.runc.runtime.execCollect(id, cmd)).stdout.trim();
  };

  it('runs an init container then two containers, and reports a Running status like kubelet', async () => {
    await bed.client.resource({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }).create(bed.namespace, {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting' }, data: { word: 'hello' },
    });
    await bed.createPod('web', {
      initContainers: [{ name: 'setup', image: 'busybox', command: ['sh', '-c', 'echo prepared > /work/ready'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
      containers: [
        {
          name: 'a',
          image: 'busybox',
          command: ['sh', '-c', `echo "$(GREETING) from $(POD_NAME) at $POD_IP in $NS, $(cat /work/ready)"; ${TERM_FRIENDLY}`],
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
    expect(Object.fromEntries(s.conditions!.map((c) => [c.type, c.status]))).toEqual({ Initialized: 'True', Ready: 'True', ContainersReady: 'True', PodScheduled: 'True' });
    expect(s.initContainerStatuses).toEqual([
      expect.objectContaining({ name: 'setup', ready: false, restartCount: 0, state: { terminated: expect.objectContaining({ exitCode: 0, reason: 'Completed' }) } }),
    ]);
    for (const name of ['a', 'b']) {
      const c = s.containerStatuses!.find((x) => x.name === name)!;
      expect(c).toMatchObject({ ready: true, started: true, restartCount: 0, image: 'busybox', state: { running: { startedAt: expect.any(String) } } });
      expect(c.imageID).toMatch(/^docker\.io\/library\/busybox@sha256:[a-f0-9]{64}$/);
      expect(c.containerID).toMatch(/^skiff:\/\/skiff-/);
    }
    const log = await waitFor('log line', async () => {
      const text = await fs.readFile(bed.host.logPath(pod.metadata.uid!, 'a', 0), 'utf8').catch(() => '');
      return text.includes('hello') ? text : undefined;
    });
    expect(log).toMatch(new RegExp(` stdout F hello from web at ${s.podIP!.replace(/\./g, '\\.')} in ${bed.namespace}, prepared$`, 'm'));
    expect(await execIn(running, 'b', ['hostname'])).toBe('web');
    const events = await bed.client.resource({ group: '', version: 'v1', resource: 'events', namespaced: true }).list(bed.namespace);
    const reasons = (events.items as unknown as { reason: string; involvedObject: { name: string } }[]).filter((e) => e.involvedObject.name === 'web').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Pulled', 'Created', 'Started']));
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
