import { Pod } from '@skiff/kube-types';
import { randomUUID } from 'node:crypto';
import { PodSandbox } from '../runtime/pod-sandbox';
import { PodAgentTestBed } from './fake-pod-agent.fixture';
import { PodAdoption } from './pod-adoption.service';
import { PodHost } from './pod-host';
import { PodManager } from './pod-manager.service';
import { PodRecords } from './pod-records';
import { PodSync } from './pod-sync.service';

const SLEEP = { image: 'busybox', command: ['sleep', '3600'] };

describe(PodManager.name, () => {
  let bed: PodAgentTestBed;
  const managers: PodManager[] = [];

  beforeEach(async () => {
    bed = await new PodAgentTestBed().start();
  });

  afterEach(async () => {
    for (const m of managers.splice(0)) await m.stop();
    await bed.dispose();
  });

  // The agent's PodManager over the bed's current agent; its loops are far apart so only the spec drives it.
  const manager = () => {
    const m = new PodManager(
      { ...bed.config, statusIntervalMs: 3_600_000, resyncIntervalMs: 3_600_000 },
      bed.agent.get(PodHost),
      bed.agent.get(PodRecords),
      bed.agent.get(PodAdoption),
      bed.agent.get(PodSync),
    );
    managers.push(m);
    return m;
  };
  const cmd = (pod: Pod) => ({
    podUid: pod.metadata.uid!,
    namespace: pod.metadata.namespace!,
    name: pod.metadata.name!,
  });
  const podContainers = (pod: Pod) =>
    bed.host.runc.runtime
      .running()
      .filter((id) => id.startsWith(PodSandbox.containerId(pod.metadata.uid!, '')))
      .sort();

  it('re-adopts the pods in the state dir after a restart and removes sandboxes nobody recorded', async () => {
    const first = manager();
    await first.start();
    const web = bed.addPod('web', {
      containers: [
        { name: 'a', ...SLEEP },
        { name: 'b', ...SLEEP },
      ],
    });
    await first.sync(cmd(web));
    await first.sync(cmd(web));
    expect(bed.api.peek('web')!.status!.phase).toBe('Running');
    await first.stop();
    // An agent that crashed between making a sandbox and recording it left this one behind.
    const orphan = randomUUID();
    const sandbox = await bed.host.runc.sandbox.run(orphan, async () => ({
      podName: 'lost',
      hostname: 'lost',
      hostsFile: '',
      resolvConf: '',
      ip: '10.0.0.99',
      prefixLength: 24,
      gateway: '10.0.0.1',
      bridge: bed.host.bridge,
      pauseImage: { rootfs: '/fake', config: {} },
    }));
    await bed.host.runc.sandbox.startContainer(sandbox, { name: 'main' }, { rootfs: '/fake', config: {} });
    const running = podContainers(web);
    const patches = bed.api.statusPatches.length;

    await bed.restart();
    const second = manager();
    // A queue job that arrives while the agent starts waits for the state dir to be loaded.
    const early = second.sync(cmd(web));
    await second.start();
    await early;
    await second.sync(cmd(web));

    expect(second.known().map((r) => r.uid)).toEqual([web.metadata.uid]);
    expect(bed.host.runc.sandbox.removals).toEqual([orphan]);
    expect(bed.host.runc.runtime.running().filter((id) => id.includes(orphan))).toEqual([]);
    expect(podContainers(web)).toEqual(running);
    expect(bed.ipam.allocations).toEqual([web.metadata.uid]);
    expect(bed.host.runc.sandbox.runs.filter((r) => r.podId === web.metadata.uid)).toHaveLength(1);
    expect(bed.host.runc.sandbox.started.filter((s) => s.podId === web.metadata.uid)).toHaveLength(2);
    expect(bed.api.statusPatches).toHaveLength(patches);
  });

  it('resync admits a pod placed here that no job brought, and tears down a local pod the API no longer has', async () => {
    const m = manager();
    await m.start();
    const gone = bed.addPod('gone', { containers: [{ name: 'main', ...SLEEP }] });
    await m.sync(cmd(gone));
    const missed = bed.addPod('missed', { containers: [{ name: 'main', ...SLEEP }] });
    bed.api.remove('gone');

    await m.resync();

    expect(m.known().map((r) => r.name)).toEqual(['missed']);
    expect(bed.ipam.allocations).toEqual([gone.metadata.uid, missed.metadata.uid]);
    expect(bed.ipam.releases).toEqual([gone.metadata.uid]);
    expect(podContainers(gone)).toEqual([]);
    expect(podContainers(missed)).toEqual([PodSandbox.containerId(missed.metadata.uid!, 'main')]);
    // Nothing is left to finish: the pod is already gone from the API.
    expect(bed.api.deletes).toEqual([]);
  });

  it('converges idle pods on the status loop: an exited container is restarted without a sync job', async () => {
    const m = manager();
    await m.start();
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    await m.sync(cmd(web));
    const id = PodSandbox.containerId(web.metadata.uid!, 'main');
    bed.host.runc.runtime.exit(id, 0);

    await m.tick();
    await bed.agent.get(PodSync).idle();

    expect(bed.host.runc.runtime.running()).toContain(id);
    expect(bed.host.runc.sandbox.started.map((s) => s.restartCount)).toEqual([0, 1]);
  });
});
