import { Pod } from '@skiff/kube-types';
import { PodSandbox } from '../runtime/pod-sandbox';
import { PodAgentTestBed } from './fake-pod-agent.fixture';
import { PodRecords } from './pod-records';
import { PodSync } from './pod-sync.service';

const SLEEP = { image: 'busybox', command: ['sleep', '3600'] };

describe(PodSync.name, () => {
  let bed: PodAgentTestBed;

  beforeEach(async () => {
    bed = await new PodAgentTestBed().start();
  });

  afterEach(async () => {
    await bed.dispose();
  });

  const sync = (pod: Pod) =>
    bed.agent
      .get(PodSync)
      .sync({ podUid: pod.metadata.uid!, namespace: pod.metadata.namespace!, name: pod.metadata.name! });
  const record = (pod: Pod) => bed.agent.get(PodRecords).get(pod.metadata.uid!);
  const containerId = (pod: Pod, name: string) => PodSandbox.containerId(pod.metadata.uid!, name);
  const statusOf = (pod: Pod) => bed.api.peek(pod.metadata.name!)!.status!;
  const containerStatus = (pod: Pod, name: string) => statusOf(pod).containerStatuses!.find((c) => c.name === name)!;

  it('admits a new pod: an address from IPAM, the runtime its RuntimeClass names, the record saved', async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    const gv = bed.addPod('gv', { runtimeClassName: 'gvisor', containers: [{ name: 'main', ...SLEEP }] });

    await sync(web);
    await sync(gv);

    expect(bed.ipam.allocations).toEqual([web.metadata.uid, gv.metadata.uid]);
    expect(record(web)).toMatchObject({ runtime: 'runc', ip: { ip: '10.0.0.10', gateway: '10.0.0.1' } });
    expect(record(gv)).toMatchObject({ runtime: 'runsc', ip: { ip: '10.0.0.11' } });
    expect(bed.host.runsc.sandbox.runs.map((r) => r.podId)).toEqual([gv.metadata.uid]);
    const saved = await bed.saved();
    expect(saved.find((r) => r.uid === web.metadata.uid)?.ip?.ip).toBe('10.0.0.10');
    expect(statusOf(web)).toMatchObject({ podIP: '10.0.0.10', hostIP: '10.0.0.1', startTime: expect.any(String) });
  });

  it("starts the pod's containers and reports Running and Ready once", async () => {
    const web = bed.addPod('web', {
      containers: [
        { name: 'a', ...SLEEP },
        { name: 'b', ...SLEEP },
      ],
    });

    await sync(web);

    // Two containers share IPC/UTS: a pause holds them.
    expect(bed.host.runc.runtime.running().sort()).toEqual(
      [containerId(web, 'POD'), containerId(web, 'a'), containerId(web, 'b')].sort(),
    );
    const status = statusOf(web);
    expect(status.phase).toBe('Running');
    expect(Object.fromEntries(status.conditions!.map((c) => [c.type, c.status]))).toMatchObject({
      Ready: 'True',
      ContainersReady: 'True',
    });
    for (const name of ['a', 'b'])
      expect(containerStatus(web, name)).toMatchObject({
        ready: true,
        restartCount: 0,
        containerID: `skiff://${containerId(web, name)}`,
        state: { running: { startedAt: expect.any(String) } },
      });
    expect(bed.events.reasons('web').filter((r) => r === 'Started')).toHaveLength(2);
    // Running at once: the first status (ContainerCreating) was never written.
    expect(bed.api.statusPatches).toHaveLength(1);

    await sync(web);
    await sync(web);
    expect(bed.api.statusPatches.filter((p) => p.status?.phase === 'Running')).toHaveLength(1);
    expect(bed.host.runc.sandbox.started).toHaveLength(2);
  });

  it("writes a slow pod's address and ContainerCreating first, then Running", async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    let release = (): void => undefined;
    bed.host.runc.sandbox.hold = new Promise((r) => (release = r));

    const synced = sync(web);
    for (let i = 0; i < 60 && bed.api.statusPatches.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(statusOf(web)).toMatchObject({
      phase: 'Pending',
      podIP: '10.0.0.10',
      containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }],
    });
    release();
    await synced;

    expect(bed.api.statusPatches.map((p) => p.status?.phase)).toEqual(['Pending', 'Running']);
  });

  it('reads nothing for a job of a version it holds already, and syncs a newer one', async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    await sync(web);
    const held = bed.api.peek('web')!.metadata.resourceVersion!;
    const gets = bed.api.gets;

    const job = { podUid: web.metadata.uid!, namespace: 'default', name: 'web' };
    await bed.agent.get(PodSync).sync({ ...job, resourceVersion: held });
    await bed.agent.get(PodSync).sync({ ...job, resourceVersion: String(Number(held) - 1) });
    expect(bed.api.gets).toBe(gets);

    bed.api.beginDeletion('web', 0);
    await bed.agent.get(PodSync).sync({ ...job, resourceVersion: bed.api.peek('web')!.metadata.resourceVersion });
    expect(bed.api.gets).toBe(gets + 1);
    expect(bed.api.peek('web')).toBeUndefined();
  });

  it('does not admit a pod from a listing read before the pod was deleted', async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    const listed = structuredClone(bed.api.peek('web')!);
    bed.api.remove('web');
    const { uid, namespace, name, resourceVersion } = listed.metadata;

    await bed.agent.get(PodSync).sync({ podUid: uid!, namespace: namespace!, name: name!, resourceVersion }, listed);

    expect(record(web)).toBeUndefined();
    expect(bed.host.runc.sandbox.runs).toEqual([]);
    expect(bed.ipam.allocations).toEqual([]);
  });

  it('tears a pod down when the deletion came with the answer to its own status write', async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    await sync(web);
    // The user's delete lands just before the agent's next status write, whose answer carries it.
    bed.api.beginDeletion('web', 0);
    const deletedAt = bed.api.peek('web')!.metadata.resourceVersion!;
    bed.host.runc.runtime.exit(containerId(web, 'main'), 0);
    await bed.agent.get(PodSync).convergeIdle();
    await bed.agent.get(PodSync).idle();
    expect(record(web)?.pod.metadata.deletionTimestamp).toBeDefined();
    const gets = bed.api.gets;

    // The deletion's own job then names a version the agent holds: no GET, and the pod is torn down.
    await bed.agent
      .get(PodSync)
      .sync({ podUid: web.metadata.uid!, namespace: 'default', name: 'web', resourceVersion: deletedAt });
    expect(bed.api.gets).toBe(gets);
    expect(record(web)).toBeUndefined();
    expect(bed.api.peek('web')).toBeUndefined();
  });

  it('does not patch the status again while nothing changed', async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    await sync(web);
    await sync(web);
    const patches = bed.api.statusPatches.length;
    expect(statusOf(web).phase).toBe('Running');

    bed.clock.advance(5_000);
    await sync(web);
    await sync(web);

    expect(bed.api.statusPatches).toHaveLength(patches);
    expect(bed.host.runc.sandbox.started).toHaveLength(1);
  });

  it('restarts an exited container of a restartPolicy Always pod, after the back-off once it keeps failing', async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    await sync(web);
    const id = containerId(web, 'main');

    // The first restart is immediate (and seen running by the pass after).
    bed.host.runc.runtime.exit(id, 1);
    await sync(web);
    expect(bed.host.runc.runtime.running()).toContain(id);
    await sync(web);
    expect(containerStatus(web, 'main')).toMatchObject({
      restartCount: 1,
      state: { running: expect.anything() },
      lastState: { terminated: expect.objectContaining({ exitCode: 1, reason: 'Error' }) },
    });

    // The next waits 10 s: CrashLoopBackOff until the clock has moved on.
    bed.host.runc.runtime.exit(id, 1);
    await sync(web);
    expect(containerStatus(web, 'main')).toMatchObject({
      restartCount: 1,
      state: { waiting: expect.objectContaining({ reason: 'CrashLoopBackOff' }) },
    });
    expect(bed.host.runc.runtime.running()).not.toContain(id);
    expect(bed.events.reasons('web')).toContain('BackOff');

    bed.clock.advance(9_000);
    await sync(web);
    expect(bed.host.runc.runtime.running()).not.toContain(id);

    bed.clock.advance(1_000);
    await sync(web);
    expect(bed.host.runc.runtime.running()).toContain(id);
    await sync(web);
    expect(containerStatus(web, 'main')).toMatchObject({ restartCount: 2, state: { running: expect.anything() } });
    expect(bed.host.runc.sandbox.started.map((s) => s.restartCount)).toEqual([0, 1, 2]);
  });

  it('recreates a lost sandbox with the same address and starts its containers again', async () => {
    const web = bed.addPod('web', {
      containers: [
        { name: 'a', ...SLEEP },
        { name: 'b', ...SLEEP },
      ],
    });
    await sync(web);
    // The host rebooted, say: the pause and the containers are gone.
    for (const name of ['POD', 'a', 'b']) await bed.host.runc.runtime.delete(containerId(web, name));
    // A pause has no exit file: the next full runtime listing (at most 10 s old) shows it gone.
    bed.clock.advance(10_000);

    await sync(web);

    expect(bed.host.runc.sandbox.runs.map((r) => r.ip)).toEqual(['10.0.0.10', '10.0.0.10']);
    expect(bed.ipam.allocations).toEqual([web.metadata.uid]);
    expect(bed.host.runc.runtime.running()).toEqual(
      expect.arrayContaining([containerId(web, 'POD'), containerId(web, 'a'), containerId(web, 'b')]),
    );
    expect(record(web)?.sandbox?.pauseId).toBe(containerId(web, 'POD'));
  });

  it('recreates the sandbox of a lone container when its netns is gone', async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    await sync(web);
    expect(record(web)?.sandbox?.pauseId).toBeUndefined();
    bed.host.netns.clear();

    await sync(web);

    expect(bed.host.runc.sandbox.removals).toEqual([web.metadata.uid]);
    expect(bed.host.runc.sandbox.runs).toHaveLength(2);
    expect(await bed.host.netnsExists(record(web)!.sandbox!.netnsPath)).toBe(true);
  });

  it('tears a deleted pod down, releases its address and finishes the deletion with grace 0 for this very pod', async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    await sync(web);
    bed.api.beginDeletion('web', 30);

    await sync(web);

    expect(bed.host.runc.runtime.containers.size).toBe(0);
    expect(bed.host.runc.sandbox.removals).toEqual([web.metadata.uid]);
    expect(bed.host.volumes.tearDowns).toEqual([web.metadata.uid]);
    expect(bed.ipam.releases).toEqual([web.metadata.uid]);
    expect(bed.events.reasons('web')).toContain('Killing');
    expect(bed.api.deletes).toEqual([
      { name: 'web', opts: { gracePeriodSeconds: 0, preconditions: { uid: web.metadata.uid } } },
    ]);
    expect(bed.api.peek('web')).toBeUndefined();
    expect(record(web)).toBeUndefined();
    expect(await bed.saved()).toEqual([]);
  });

  it("follows a running pod's logs, and reads them to their end before its files go, then forgets it", async () => {
    const web = bed.addPod('web', { containers: [{ name: 'main', ...SLEEP }] });
    await sync(web);
    expect([...bed.logs.followed]).toEqual([web.metadata.uid]);
    bed.api.beginDeletion('web', 30);

    await sync(web);

    const uid = web.metadata.uid!;
    expect(bed.logs.calls).toEqual([
      { op: 'drain', uid, sandboxRemoved: false, volumesTornDown: false },
      { op: 'forget', uid, sandboxRemoved: true, volumesTornDown: true },
    ]);
  });

  it("reads a finished pod's logs to their end before its volumes go, and keeps its offsets", async () => {
    const job = bed.addPod('job', { restartPolicy: 'Never', containers: [{ name: 'main', ...SLEEP }] });
    await sync(job);
    bed.host.runc.runtime.exit(containerId(job, 'main'), 0);

    await sync(job);

    expect(statusOf(job).phase).toBe('Succeeded');
    expect(bed.logs.calls).toEqual([
      { op: 'drain', uid: job.metadata.uid, sandboxRemoved: false, volumesTornDown: false },
    ]);
  });

  it('runs nothing for a pod the scheduler placed on another host', async () => {
    const pod = bed.api.add({ ...bed.config, hostId: 'host-b' }, 'elsewhere', {
      containers: [{ name: 'main', ...SLEEP }],
    });

    await sync(pod);

    expect(bed.ipam.allocations).toEqual([]);
    expect(bed.host.runc.sandbox.runs).toEqual([]);
    expect(bed.api.statusPatches).toEqual([]);
  });
});
