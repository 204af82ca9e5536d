import { eventually, KubectlResult, runCommand, startTestCluster, TestCluster } from '@skiff/testing';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

const DB = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: busybox
          command: [sh, -c, "trap 'exit 0' TERM; sleep 3600 & wait"]
          volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
`;

const sleeper = (name: string, volumes: unknown[], mountPath = '/shared') =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'busybox',
          command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
          volumeMounts: [{ name: 'vol', mountPath }],
        },
      ],
      volumes,
    },
  });

const claim = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec });

describe('Storage: cloud disks and NAS through PVCs, StatefulSets and inline volumes (kubectl, runc)', () => {
  let cluster: TestCluster;
  const ns = 'store';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const apply = (doc: string) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: doc });
  const exec = (pod: string, script: string): Promise<KubectlResult> =>
    cluster.kubectl(['exec', '-n', ns, pod, '--', 'sh', '-c', script]);
  const phase = async (what: string) => (await k('get', what, '-o', 'jsonpath={.status.phase}')).stdout;
  const ready = async (...pods: string[]) =>
    expect((await k('wait', '--for=condition=Ready', ...pods.map((p) => `pod/${p}`), '--timeout=120s')).code).toBe(0);
  const storageRoot = () => path.join(cluster.stateDir, 'storage');

  beforeAll(async () => {
    // A disk left on a host that has no agent (a made-up one below) is detached by force after 3 s.
    cluster = await startTestCluster({ SKIFF_FORCE_DETACH_AFTER_SECONDS: '3' }, [
      'api-gateway',
      'network-svc',
      'storage-svc',
      'scheduler',
      'sandbox-agent',
    ]);
    expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it("installs ASK's StorageClasses, alicloud-disk-essd the default", async () => {
    const classes = await eventually(
      async () => {
        const out = (await cluster.kubectl(['get', 'storageclass'])).stdout;
        return out.includes('alicloud-nas') ? out : undefined;
      },
      30_000,
      'the StorageClasses',
    );
    expect(classes).toMatch(
      /alicloud-disk-essd \(default\)\s+diskplugin\.csi\.alibabacloud\.com\s+Delete\s+Immediate\s+true/,
    );
    expect(classes).toMatch(
      /alicloud-disk-topology\s+diskplugin\.csi\.alibabacloud\.com\s+Delete\s+WaitForFirstConsumer/,
    );
    expect(classes).toMatch(/alicloud-nas\s+nasplugin\.csi\.alibabacloud\.com/);
  }, 60_000);

  let disk = '';

  it('binds a StatefulSet claim to a new cloud disk; the data outlives the pod', async () => {
    expect((await apply(DB)).code).toBe(0);
    await eventually(async () => (await phase('pvc/data-db-0')) === 'Bound', 60_000, 'the claim Bound');
    disk = (await k('get', 'pvc', 'data-db-0', '-o', 'jsonpath={.spec.volumeName}')).stdout;
    expect(disk).toMatch(/^d-[0-9a-f]{20}$/);
    const pvs = (await cluster.kubectl(['get', 'pv', disk])).stdout;
    expect(pvs).toMatch(
      new RegExp(`${disk}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+${ns}/data-db-0\\s+alicloud-disk-essd`),
    );
    expect(existsSync(path.join(storageRoot(), 'disks', `${disk}.img`))).toBe(true);
    await ready('db-0');
    expect((await exec('db-0', 'echo kept > /data/f && sync && cat /data/f')).stdout.trim()).toBe('kept');
    const uid = (await k('get', 'pod', 'db-0', '-o', 'jsonpath={.metadata.uid}')).stdout;
    expect((await k('delete', 'pod', 'db-0', '--wait=true')).code).toBe(0);
    await eventually(
      async () => {
        const now = (await k('get', 'pod', 'db-0', '-o', 'jsonpath={.metadata.uid}')).stdout;
        return now && now !== uid;
      },
      60_000,
      'the new db-0',
    );
    await ready('db-0');
    expect((await exec('db-0', 'cat /data/f')).stdout.trim()).toBe('kept');
    // The disk itself (1 GiB, ext4), not the pod's root.
    expect((await exec('db-0', 'df -k /data | tail -1')).stdout.trim()).toMatch(/^\/dev\/loop\d+\s+\d{6}\s.*\s\/data$/);
  }, 240_000);

  it('shares one NAS claim between two pods', async () => {
    expect(
      (
        await apply(
          claim('shared', {
            accessModes: ['ReadWriteMany'],
            storageClassName: 'alicloud-nas',
            resources: { requests: { storage: '5Gi' } },
          }),
        )
      ).code,
    ).toBe(0);
    await eventually(async () => (await phase('pvc/shared')) === 'Bound', 60_000, 'the NAS claim Bound');
    const vol = [{ name: 'vol', persistentVolumeClaim: { claimName: 'shared' } }];
    expect((await apply(sleeper('writer', vol))).code).toBe(0);
    expect((await apply(sleeper('reader', vol))).code).toBe(0);
    await ready('writer', 'reader');
    expect((await exec('writer', 'echo from-writer > /shared/note')).code).toBe(0);
    expect((await exec('reader', 'cat /shared/note')).stdout.trim()).toBe('from-writer');
    expect((await exec('reader', 'echo from-reader > /shared/back')).code).toBe(0);
    expect((await exec('writer', 'cat /shared/back')).stdout.trim()).toBe('from-reader');
  }, 180_000);

  it('mounts a static NAS volume (nfs PV, PVC without a class) and an inline nfs volume', async () => {
    const pv = JSON.parse((await cluster.kubectl(['get', 'pv', '-o', 'json'])).stdout) as {
      items: { spec: { nfs?: { server: string; path: string } } }[];
    };
    const nfs = pv.items.find((p) => p.spec.nfs)!.spec.nfs!;
    const staticPv = JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'nas-static' },
      spec: {
        capacity: { storage: '5Gi' },
        accessModes: ['ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        nfs: { server: nfs.server, path: nfs.path },
      },
    });
    expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: staticPv })).code).toBe(0);
    expect(
      (
        await apply(
          claim('static', {
            accessModes: ['ReadWriteMany'],
            storageClassName: '',
            resources: { requests: { storage: '5Gi' } },
          }),
        )
      ).code,
    ).toBe(0);
    await eventually(async () => (await phase('pvc/static')) === 'Bound', 60_000, 'the static claim Bound');
    expect((await k('get', 'pvc', 'static', '-o', 'jsonpath={.spec.volumeName}')).stdout).toBe('nas-static');
    expect(
      (await apply(sleeper('by-claim', [{ name: 'vol', persistentVolumeClaim: { claimName: 'static' } }]))).code,
    ).toBe(0);
    expect((await apply(sleeper('by-nfs', [{ name: 'vol', nfs: { server: nfs.server, path: nfs.path } }]))).code).toBe(
      0,
    );
    await ready('by-claim', 'by-nfs');
    expect((await exec('by-claim', 'cat /shared/note')).stdout.trim()).toBe('from-writer');
    expect((await exec('by-nfs', 'cat /shared/back')).stdout.trim()).toBe('from-reader');
  }, 180_000);

  it('mounts a disk by volumeId through the alicloud/disk flexvolume', async () => {
    expect((await k('scale', 'statefulset/db', '--replicas=0')).code).toBe(0);
    await eventually(async () => (await k('get', 'pod', 'db-0')).code !== 0, 60_000, 'db-0 gone');
    const flex = [
      { name: 'vol', flexVolume: { driver: 'alicloud/disk', fsType: 'ext4', options: { volumeId: disk } } },
    ];
    expect((await apply(sleeper('flex', flex, '/data'))).code).toBe(0);
    await ready('flex');
    expect((await exec('flex', 'cat /data/f')).stdout.trim()).toBe('kept');
    expect((await k('delete', 'pod', 'flex', '--wait=true')).code).toBe(0);
  }, 180_000);

  it('attaches a disk to one host at a time: a pod elsewhere waits with a Multi-Attach error', async () => {
    const onClaim = [{ name: 'vol', persistentVolumeClaim: { claimName: 'data-db-0' } }];
    const events = (pod: string, text: string) =>
      eventually(
        async () => {
          const out = (await k('get', 'events', '--field-selector', `involvedObject.name=${pod}`)).stdout;
          return out.includes(text) ? out : undefined;
        },
        30_000,
        `${text} on ${pod}`,
      );
    const attachedTo = async () =>
      (
        await cluster.kubectl([
          'get',
          'volumeattachment',
          '-o',
          "jsonpath={range .items[*]}{.metadata.annotations['skiff\\.io/sandbox-host']}={.status.attached} {end}",
        ])
      ).stdout.trim();
    expect((await apply(sleeper('holder', onClaim, '/data'))).code).toBe(0);
    await ready('holder');
    const host = (await k('get', 'pod', 'holder', '-o', "jsonpath={.metadata.annotations['skiff\\.io/sandbox-host']}"))
      .stdout;
    const node = (await k('get', 'pod', 'holder', '-o', 'jsonpath={.spec.nodeName}')).stdout;
    expect(await attachedTo()).toBe(`${host}=true`);
    const table = (await cluster.kubectl(['get', 'volumeattachment'])).stdout;
    expect(table).toMatch(
      new RegExp(`csi-[0-9a-f]{64}\\s+diskplugin\\.csi\\.alibabacloud\\.com\\s+${disk}\\s+${node}\\s+true`),
    );

    // A pod placed on another host of the zone (one with no agent: nothing there ever lets go of the disk).
    const elsewhere = JSON.parse(sleeper('elsewhere', onClaim, '/data'));
    elsewhere.metadata.annotations = { 'skiff.io/sandbox-host': 'h-elsewhere' };
    elsewhere.spec.nodeName = node;
    expect((await apply(JSON.stringify(elsewhere))).code).toBe(0);
    const refused = await events('elsewhere', 'Multi-Attach error');
    expect(refused).toContain(`FailedAttachVolume`);
    expect(refused).toContain(`Multi-Attach error for volume "${disk}" Volume is already used by pod(s) holder`);

    // The holder goes: its host detaches the disk and lets go; the other host gets it.
    expect((await k('delete', 'pod', 'holder', '--wait=true')).code).toBe(0);
    await eventually(async () => (await attachedTo()) === 'h-elsewhere=true', 30_000, 'the disk attached elsewhere');

    // Now a pod on the real host waits, and starts once the other host's pod is gone and its disk detached by force.
    expect((await apply(sleeper('after', onClaim, '/data'))).code).toBe(0);
    expect(await events('after', 'Multi-Attach error')).toContain('Volume is already used by pod(s) elsewhere');
    expect(await events('after', 'FailedMount')).toContain('unattached volumes=[vol]');
    expect(await phase('pod/after')).toBe('Pending');
    expect((await k('delete', 'pod', 'elsewhere', '--grace-period=0', '--force')).code).toBe(0);
    await ready('after');
    expect(await attachedTo()).toBe(`${host}=true`);
    expect((await exec('after', 'cat /data/f')).stdout.trim()).toBe('kept');
    expect((await k('delete', 'pod', 'after', '--wait=true')).code).toBe(0);
    await eventually(async () => (await attachedTo()) === '', 30_000, 'the attachment gone with the last pod');
  }, 180_000);

  it("makes disks for ASK's dynamic flexvolume form and a generic ephemeral volume; they go with the pod", async () => {
    const dyn = JSON.parse(
      sleeper('dyn', [
        {
          name: 'disk',
          flexVolume: {
            driver: 'alicloud/disk',
            fsType: 'ext4',
            options: { volumeType: 'alicloud-disk-ssd', volumeSize: '1' },
          },
        },
        {
          name: 'scratch',
          ephemeral: {
            volumeClaimTemplate: {
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          },
        },
      ]),
    );
    dyn.spec.containers[0].volumeMounts = [
      { name: 'disk', mountPath: '/disk' },
      { name: 'scratch', mountPath: '/scratch' },
    ];
    expect((await apply(JSON.stringify(dyn))).code).toBe(0);
    await ready('dyn');
    const claimOf = async (name: string) =>
      (
        await k(
          'get',
          'pvc',
          name,
          '-o',
          'jsonpath={.spec.storageClassName} {.status.phase} {.status.capacity.storage} {.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}',
        )
      ).stdout;
    expect(await claimOf('dyn-disk')).toBe('alicloud-disk-ssd Bound 1Gi Pod/dyn');
    expect(await claimOf('dyn-scratch')).toBe('alicloud-disk-essd Bound 1Gi Pod/dyn');
    const disks = (
      await k('get', 'pvc', 'dyn-disk', 'dyn-scratch', '-o', 'jsonpath={.items[*].spec.volumeName}')
    ).stdout.split(' ');
    expect(disks).toHaveLength(2);
    const mounts = (await exec('dyn', 'df -k /disk /scratch | tail -2')).stdout.trim().split('\n');
    expect(mounts.map((m) => m.split(/\s+/)[0])).toEqual([
      expect.stringMatching(/^\/dev\/loop\d+$/),
      expect.stringMatching(/^\/dev\/loop\d+$/),
    ]);

    expect((await k('delete', 'pod', 'dyn', '--wait=true')).code).toBe(0);
    await eventually(
      async () => (await k('get', 'pvc', 'dyn-disk', 'dyn-scratch', '-o', 'name')).stdout === '',
      60_000,
      "the pod's claims gone",
    );
    for (const d of disks) {
      await eventually(async () => (await cluster.kubectl(['get', 'pv', d])).code !== 0, 60_000, `PV ${d} gone`);
      expect(existsSync(path.join(storageRoot(), 'disks', `${d}.img`))).toBe(false);
    }
  }, 180_000);

  it('provisions a WaitForFirstConsumer claim once a pod uses it, for the node the pod goes to', async () => {
    expect(
      (
        await apply(
          claim('late', {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'alicloud-disk-topology',
            resources: { requests: { storage: '1Gi' } },
          }),
        )
      ).code,
    ).toBe(0);
    const waiting = await eventually(
      async () => {
        const out = (await k('get', 'events', '--field-selector', 'involvedObject.name=late')).stdout;
        return out.includes('WaitForFirstConsumer') ? out : undefined;
      },
      30_000,
      'the WaitForFirstConsumer event',
    );
    expect(waiting).toContain('waiting for first consumer to be created before binding');
    expect(await phase('pvc/late')).toBe('Pending');
    expect(
      (await apply(sleeper('consumer', [{ name: 'vol', persistentVolumeClaim: { claimName: 'late' } }], '/data'))).code,
    ).toBe(0);
    await eventually(async () => (await phase('pvc/late')) === 'Bound', 60_000, 'the claim Bound');
    const node = (
      await k('get', 'pvc', 'late', '-o', "jsonpath={.metadata.annotations['volume\\.kubernetes\\.io/selected-node']}")
    ).stdout;
    await ready('consumer');
    expect((await k('get', 'pod', 'consumer', '-o', 'jsonpath={.spec.nodeName}')).stdout).toBe(node);
    expect((await exec('consumer', 'echo ok > /data/x && cat /data/x')).stdout.trim()).toBe('ok');
    expect((await k('delete', 'pod', 'consumer', '--wait=true')).code).toBe(0);
  }, 180_000);

  it('mounts a cloud disk into a gVisor pod', async () => {
    expect(
      (await apply(claim('gv', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }))).code,
    ).toBe(0);
    const gv = JSON.parse(sleeper('gv', [{ name: 'vol', persistentVolumeClaim: { claimName: 'gv' } }], '/data'));
    gv.spec.runtimeClassName = 'gvisor';
    expect((await apply(JSON.stringify(gv))).code).toBe(0);
    await ready('gv');
    // The sandbox's own kernel (gVisor) over the host's mount of the disk.
    expect((await exec('gv', 'dmesg')).stdout).toMatch(/gVisor/);
    expect((await exec('gv', 'echo g > /data/g && sync && cat /data/g')).stdout.trim()).toBe('g');
    const pv = (await k('get', 'pvc', 'gv', '-o', 'jsonpath={.spec.volumeName}')).stdout;
    expect((await k('delete', 'pod', 'gv', '--wait=true')).code).toBe(0);
    // What it wrote is on the disk itself: a runc pod reads it after the gVisor pod let go.
    const check = JSON.parse(
      sleeper('gv-check', [{ name: 'vol', persistentVolumeClaim: { claimName: 'gv' } }], '/data'),
    );
    expect((await apply(JSON.stringify(check))).code).toBe(0);
    await ready('gv-check');
    expect((await exec('gv-check', 'cat /data/g')).stdout.trim()).toBe('g');
    expect(pv).toMatch(/^d-/);
    expect((await k('delete', 'pod', 'gv-check', '--wait=true')).code).toBe(0);
  }, 180_000);

  it('grows a mounted disk when its claim is expanded: df in the pod shows the new size', async () => {
    // xfs: growing a mounted ext4 needs CAP_SYS_RESOURCE, which this machine's root lacks (docs/storage.md).
    const xfs = JSON.stringify({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'disk-xfs' },
      provisioner: 'diskplugin.csi.alibabacloud.com',
      parameters: { type: 'cloud_essd', fstype: 'xfs' },
      allowVolumeExpansion: true,
    });
    expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: xfs })).code).toBe(0);
    expect(
      (
        await apply(
          claim('grow', {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'disk-xfs',
            resources: { requests: { storage: '1Gi' } },
          }),
        )
      ).code,
    ).toBe(0);
    expect(
      (await apply(sleeper('grower', [{ name: 'vol', persistentVolumeClaim: { claimName: 'grow' } }], '/data'))).code,
    ).toBe(0);
    await ready('grower');
    const kib = async () => Number((await exec('grower', "df -k /data | tail -1 | awk '{print $2}'")).stdout.trim());
    const before = await kib();
    expect(before).toBeLessThan(1024 * 1024);
    expect((await k('patch', 'pvc', 'grow', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}')).code).toBe(
      0,
    );
    await eventually(async () => (await kib()) > 1.5 * 1024 * 1024, 60_000, 'df showing the grown disk');
    await eventually(
      async () => (await k('get', 'pvc', 'grow', '-o', 'jsonpath={.status.capacity.storage}')).stdout === '2Gi',
      30_000,
      'the claim status at 2Gi',
    );
    expect((await k('get', 'pvc', 'grow', '-o', 'jsonpath={.status.conditions}')).stdout).not.toContain(
      'FileSystemResizePending',
    );
    expect((await k('delete', 'pod', 'grower', '--wait=true')).code).toBe(0);
  }, 180_000);

  it('converges with one loop device and one mount when the agent and storage-svc restart mid-attach', async () => {
    expect(
      (await apply(claim('twice', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } })))
        .code,
    ).toBe(0);
    await eventually(async () => (await phase('pvc/twice')) === 'Bound', 60_000, 'the claim Bound');
    const id = (await k('get', 'pvc', 'twice', '-o', 'jsonpath={.spec.volumeName}')).stdout;
    expect(
      (await apply(sleeper('twice', [{ name: 'vol', persistentVolumeClaim: { claimName: 'twice' } }], '/data'))).code,
    ).toBe(0);
    // Both go down while the pod's disk is being attached and mounted, and come back.
    await Promise.all([cluster.stack.restart('sandbox-agent'), cluster.stack.restart('storage-svc')]);
    await ready('twice');
    expect((await exec('twice', 'echo once > /data/f && cat /data/f')).stdout.trim()).toBe('once');
    const image = path.join(storageRoot(), 'disks', `${id}.img`);
    const loops = (await runCommand('losetup', ['-j', image])).stdout.trim().split('\n');
    expect(loops).toHaveLength(1);
    const device = loops[0].split(':')[0];
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
      .split('\n')
      .filter((l) => l.split(' - ')[1]?.split(' ')[1] === device && l.split(' ')[4].startsWith(cluster.stateDir));
    // One staging mount of the disk (the container binds it).
    expect(mounts.filter((l) => l.split(' ')[4].endsWith(`/disks/${id}`))).toHaveLength(1);
    expect((await cluster.kubectl(['get', 'volumeattachment', '-o', 'name'])).stdout.trim().split('\n')).toHaveLength(
      1,
    );
    expect((await k('delete', 'pod', 'twice', '--wait=true')).code).toBe(0);
    await eventually(
      async () => (await runCommand('losetup', ['-j', image])).stdout.trim() === '',
      30_000,
      'the disk detached',
    );
  }, 180_000);

  it('refuses ReadWriteMany on a disk class with a ProvisioningFailed event', async () => {
    expect(
      (await apply(claim('rwx-disk', { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } })))
        .code,
    ).toBe(0);
    const events = await eventually(
      async () => {
        const out = (await k('get', 'events', '--field-selector', 'involvedObject.name=rwx-disk')).stdout;
        return out.includes('ProvisioningFailed') ? out : undefined;
      },
      30_000,
      'ProvisioningFailed',
    );
    expect(events).toContain('cloud disks support only ReadWriteOnce');
    expect(await phase('pvc/rwx-disk')).toBe('Pending');
  }, 60_000);

  it('deletes the disk with its claim (reclaim Delete)', async () => {
    expect((await k('delete', 'pvc', 'data-db-0', '--wait=true', '--timeout=60s')).code).toBe(0);
    await eventually(async () => (await cluster.kubectl(['get', 'pv', disk])).code !== 0, 60_000, 'the PV gone');
    expect(existsSync(path.join(storageRoot(), 'disks', `${disk}.img`))).toBe(false);
  }, 120_000);
});
