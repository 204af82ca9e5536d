import { promises as fs } from 'node:fs';
import { ChildProcess } from 'node:child_process';
import { CriLogFollower } from '../streaming/cri-log.follower';
import { PodContainerLocator } from './pod-container.locator';
import { PodManager } from './pod-manager.service';
import { PodManagerTestBed, waitFor } from './pod-manager.fixture';
import { ContainerStatus, EphemeralContainer, Pod, SANDBOX_HOST_ANNOTATION } from '@skiff/kube-types';

const asRoot = process.getuid?.() === 0;
if (!asRoot)
  console.warn('ephemeral container integration tests skipped: runc, runsc, conmon, mounts and netns need root');

jest.setTimeout(120_000);

const SLEEPER = 'trap "exit 0" TERM; sleep 3600 & wait';

(asRoot ? describe : describe.skip)(
  `${PodManager.name}: ephemeral containers and attach (runc and runsc, in-process)`,
  () => {
    const bed = new PodManagerTestBed('10.244.254');
    let locator: PodContainerLocator;

    beforeAll(async () => {
      await bed.start();
      locator = new PodContainerLocator(() => bed.manager.known(), bed.host);
    }, 180_000);

    afterAll(async () => {
      await bed.dispose();
    }, 120_000);

    const running = (name: string) =>
      waitFor(
        `${name} running`,
        async () => {
          const p = await bed.getPod(name);
          return p.status?.containerStatuses?.every((c) => c.state?.running) ? p : undefined;
        },
        60_000,
      );
    const ephemeralStatus = (pod: string, name: string, done: (s: ContainerStatus) => boolean) =>
      waitFor(
        `${pod}/${name}`,
        async () => {
          const s = (await bed.getPod(pod)).status?.ephemeralContainerStatuses?.find((c) => c.name === name);
          return s && done(s) ? s : undefined;
        },
        60_000,
      );
    // What kubectl debug does: a strategic merge patch of pods/ephemeralcontainers; the next sync starts it.
    const debug = async (pod: string, ec: EphemeralContainer): Promise<void> => {
      await bed.pods().patch(bed.namespace, pod, { spec: { ephemeralContainers: [ec] } }, 'strategic', {
        subresource: 'ephemeralcontainers',
      });
      const p = await bed.getPod(pod);
      await bed.manager.sync({ podUid: p.metadata.uid!, namespace: bed.namespace, name: pod });
    };
    const logOf = (pod: Pod, container: string) =>
      fs.readFile(bed.host.logPath(pod.metadata.uid!, container, 0), 'utf8').catch(() => '');

    it.each([
      ['runc', undefined],
      ['gVisor', 'gvisor'],
    ])(
      "%s: runs in the target's PID namespace on the pod's network, once, and goes with the pod",
      async (_label, runtimeClassName) => {
        const name = runtimeClassName ? 'dbg-gvisor' : 'dbg-runc';
        await bed.createPod(name, {
          ...(runtimeClassName ? { runtimeClassName } : {}),
          containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', SLEEPER] }],
        });
        const pod = await running(name);
        await debug(name, {
          name: 'debugger',
          image: 'busybox',
          targetContainerName: 'app',
          command: ['sh', '-c', 'ps; hostname; ip -4 -o addr show eth0; exit 3'],
        });
        const s = await ephemeralStatus(name, 'debugger', (x) => x.state?.terminated !== undefined);
        expect(s).toMatchObject({
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 3, reason: 'Error' } },
        });
        const log = await logOf(pod, 'debugger');
        expect(log).toMatch(/ stdout F +\d+ root +sleep 3600$/m);
        expect(log).toMatch(new RegExp(` stdout F ${name}$`, 'm'));
        expect(log).toContain(pod.status!.podIP!);
        // Never restarted, whatever the pod's restartPolicy (Always here), and the pod stays as it was.
        await new Promise((r) => setTimeout(r, 2_500));
        const after = await bed.getPod(name);
        expect(after.status!.ephemeralContainerStatuses![0]).toMatchObject({
          restartCount: 0,
          state: { terminated: { exitCode: 3 } },
        });
        expect(after.status!.phase).toBe('Running');
        await bed.pods().delete(bed.namespace, name);
        await bed.manager.sync({ podUid: pod.metadata.uid!, namespace: bed.namespace, name });
        const kind = runtimeClassName ? 'runsc' : 'runc';
        expect((await bed.host.runtimes[kind].runtime.list()).filter((c) => c.id.includes(pod.metadata.uid!))).toEqual(
          [],
        );
      },
    );

    it('waits for a target that is not running yet', async () => {
      // Added before the agent first sees the pod: its first pass starts ephemeral containers before the app's.
      const pod = await bed.pods().create(bed.namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'early',
          namespace: bed.namespace,
          annotations: { [SANDBOX_HOST_ANNOTATION]: bed.config.hostId },
        },
        spec: {
          terminationGracePeriodSeconds: 3,
          nodeName: `virtual-kubelet-${bed.config.zone}`,
          containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', SLEEPER] }],
        },
      });
      await debug('early', { name: 'late', image: 'busybox', targetContainerName: 'app', command: ['true'] });
      await ephemeralStatus('early', 'late', (x) => x.state?.terminated?.exitCode === 0);
      const events = await bed.client
        .resource({ group: '', version: 'v1', resource: 'events', namespaced: true })
        .list(bed.namespace);
      const messages = (events.items as unknown as { message: string; involvedObject: { name: string } }[])
        .filter((e) => e.involvedObject.name === 'early')
        .map((e) => e.message);
      expect(messages).toContain('Error: unable to find target container app');
      await bed.pods().delete(bed.namespace, 'early');
      await bed.manager.sync({ podUid: pod.metadata.uid!, namespace: bed.namespace, name: 'early' });
    });

    it.each([
      ['runc', undefined],
      ['gVisor', 'gvisor'],
    ])(
      '%s: attach writes to a tty container through conmon and reads what it prints',
      async (_label, runtimeClassName) => {
        const name = runtimeClassName ? 'tty-gvisor' : 'tty-runc';
        await bed.createPod(name, {
          ...(runtimeClassName ? { runtimeClassName } : {}),
          containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', SLEEPER] }],
        });
        await running(name);
        await debug(name, {
          name: 'shell',
          image: 'busybox',
          targetContainerName: 'app',
          command: ['sh'],
          stdin: true,
          tty: true,
        });
        await ephemeralStatus(name, 'shell', (x) => x.state?.running !== undefined);
        const target = await locator.locateAttach(bed.namespace, name, 'shell');
        expect([target.tty, target.stdin]).toEqual([true, true]);
        let screen = '';
        const follower = new CriLogFollower(target.logPath, (_stream, data) => (screen += data.toString()));
        let input: ChildProcess | undefined;
        try {
          await follower.start();
          input = await target.openStdin();
          await target.resize({ cols: 91, rows: 17 });
          input.stdin!.write('stty size; ps\n');
          await waitFor("the target's sleep in ps", async () => /\d+ root +sleep 3600/.test(screen), 30_000);
          expect(screen).toContain('17 91');
          input.stdin!.write('exit 5\n');
          await waitFor('the container to end', () => target.finished(), 30_000);
        } finally {
          input?.stdin?.end();
          await follower.stop();
        }
        const s = await ephemeralStatus(name, 'shell', (x) => x.state?.terminated !== undefined);
        expect(s.state?.terminated!.exitCode).toBe(5);
      },
    );
  },
);
