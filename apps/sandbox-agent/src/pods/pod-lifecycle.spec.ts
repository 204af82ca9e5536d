import { Pod } from '@skiff/kube-types';
import { PodSandbox } from '../runtime/pod-sandbox';
import { PodAgentTestBed } from './fake-pod-agent.fixture';
import { ListedContainers, PodLifecycle } from './pod-lifecycle';
import { PodRecord } from './pod-state.store';

const SLEEP = { image: 'busybox', command: ['sleep', '3600'] };

describe(PodLifecycle.name, () => {
  let bed: PodAgentTestBed;
  let lifecycle: PodLifecycle;

  beforeEach(async () => {
    bed = await new PodAgentTestBed().start();
    lifecycle = bed.agent.get(PodLifecycle);
  });

  afterEach(async () => {
    await bed.dispose();
  });

  const recordOf = (pod: Pod): PodRecord => ({
    uid: pod.metadata.uid!,
    namespace: pod.metadata.namespace!,
    name: pod.metadata.name!,
    runtime: 'runc',
    ip: { podUid: pod.metadata.uid!, ip: '10.0.0.5', prefixLength: 24, gateway: '10.0.0.1', cidr: '10.0.0.0/24' },
    containers: {},
    pod,
  });
  const listing = async (): Promise<ListedContainers> =>
    new Map((await bed.host.runc.runtime.list()).map((c) => [c.id, c.status]));
  const started = () => bed.host.runc.sandbox.started.map((s) => s.name);

  it('runs init containers one at a time and in order, then the app containers', async () => {
    const pod = bed.addPod('web', {
      initContainers: [
        { name: 'one', ...SLEEP },
        { name: 'two', ...SLEEP },
      ],
      containers: [{ name: 'app', ...SLEEP }],
    });
    const record = recordOf(pod);
    await lifecycle.createSandbox(pod, record);
    expect(record.sandbox?.pauseId).toBe(PodSandbox.containerId(record.uid, 'POD'));

    await lifecycle.converge(pod, record, await listing());
    await lifecycle.converge(pod, record, await listing());
    expect(started()).toEqual(['one']);

    bed.host.runc.runtime.exit(record.containers.one.runtimeId!, 0);
    await lifecycle.converge(pod, record, await listing());
    expect(started()).toEqual(['one', 'two']);
    expect(record.containers.one.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });

    bed.host.runc.runtime.exit(record.containers.two.runtimeId!, 0);
    const observed = await lifecycle.converge(pod, record, await listing());
    expect(started()).toEqual(['one', 'two', 'app']);
    // A container the pass started is reported running at once, and the next pass sees it in the listing.
    expect(observed.get('app')?.status).toBe('running');
    expect((await lifecycle.converge(pod, record, await listing())).get('app')?.status).toBe('running');
  });

  it('leaves a failed container of a restartPolicy Never pod terminated', async () => {
    const pod = bed.addPod('job', { restartPolicy: 'Never', containers: [{ name: 'main', ...SLEEP }] });
    const record = recordOf(pod);
    await lifecycle.createSandbox(pod, record);
    await lifecycle.converge(pod, record, await listing());
    bed.clock.advance(3_000);
    bed.host.runc.runtime.exit(record.containers.main.runtimeId!, 2);

    await lifecycle.converge(pod, record, await listing());
    bed.clock.advance(60_000);
    await lifecycle.converge(pod, record, await listing());

    expect(started()).toEqual(['main']);
    expect(record.containers.main).toMatchObject({
      restartCount: 0,
      runtimeId: undefined,
      terminated: { exitCode: 2, reason: 'Error', finishedAt: '2024-03-01T10:00:03Z' },
    });
  });
});
