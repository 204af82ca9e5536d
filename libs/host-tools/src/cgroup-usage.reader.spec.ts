import { CgroupUsageReader } from './cgroup-usage.reader';
import { FakeCgroupTree } from './fake-cgroup-tree.fixture';

describe(CgroupUsageReader.name, () => {
  let tree: FakeCgroupTree;
  let reader: CgroupUsageReader;

  beforeEach(() => {
    tree = new FakeCgroupTree();
    reader = new CgroupUsageReader(tree.cgroups);
  });
  afterEach(() => tree.dispose());

  it('resolves pods against its own cgroup in each hierarchy', async () => {
    expect(await reader.roots()).toEqual({ cpuacct: tree.dir('cpuacct', ''), memory: tree.dir('memory', '') });
  });

  it('reads cpuacct.usage, usage_in_bytes, the working set (usage minus inactive file) and total_rss', async () => {
    tree.set('skiff/p1/web', { cpuNs: 1_500_000_000, usageBytes: 10_000, inactiveFileBytes: 3_000, rssBytes: 6_000 });
    expect(reader.read(await reader.roots(), 'skiff/p1/web')).toEqual({
      cpuUsageNs: 1_500_000_000,
      usageBytes: 10_000,
      workingSetBytes: 7_000,
      rssBytes: 6_000,
    });
  });

  it('floors the working set at 0, as cAdvisor does', async () => {
    tree.set('skiff/p1/web', { cpuNs: 1, usageBytes: 4_096, inactiveFileBytes: 8_192, rssBytes: 0 });
    expect(reader.read(await reader.roots(), 'skiff/p1/web')?.workingSetBytes).toBe(0);
  });

  it('gives nothing for a cgroup that is missing, half made or half removed', async () => {
    const roots = await reader.roots();
    expect(reader.read(roots, 'skiff/nope/web')).toBeUndefined();
    tree.write('cpuacct', 'skiff/p1/web', 'cpuacct.usage', '5\n');
    expect(reader.read(roots, 'skiff/p1/web')).toBeUndefined();
    tree.set('skiff/p2/web', { cpuNs: 1, usageBytes: 1, inactiveFileBytes: 0, rssBytes: 1 });
    tree.remove('skiff/p2');
    expect(reader.read(roots, 'skiff/p2/web')).toBeUndefined();
  });

  it.each([
    ['cpuacct', 'cpuacct.usage', ''],
    ['cpuacct', 'cpuacct.usage', 'not a number\n'],
    ['cpuacct', 'cpuacct.usage', '-3\n'],
    ['memory', 'memory.usage_in_bytes', '12 34\n'],
    ['memory', 'memory.stat', 'total_rss 12\n'],
    ['memory', 'memory.stat', '\u0000\u0001garbage'],
  ] as const)('gives nothing, and does not throw, when %s/%s holds %j', async (controller, file, text) => {
    tree.set('skiff/p1/web', { cpuNs: 1, usageBytes: 1, inactiveFileBytes: 0, rssBytes: 1 });
    tree.write(controller, 'skiff/p1/web', file, text);
    expect(reader.read(await reader.roots(), 'skiff/p1/web')).toBeUndefined();
  });
});
