import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ProcessRunner, RunOptions, RunResult } from '@skiff/host-tools';
import { MountTable } from './mount-table';
import { NasFileSystemLookup, NasMounter, NasSource, NfsNasBackend } from './nas-mounter';

const SERVER = '0a1b2c.nas.skiff.local';
const lookup: NasFileSystemLookup = {
  fileSystemId: async (server) => (server === SERVER ? 'nas-0a1b2c' : undefined),
};
const nfs = (p: string, mountOptions?: string[]): NasSource => ({ server: SERVER, path: p, mountOptions });

let dir: string;
beforeEach(async () => {
  dir = await fs.realpath(await fs.mkdtemp(path.join(tmpdir(), 'skiff-nas-')));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

describe(NasMounter.name, () => {
  let share: string;
  let nas: NasMounter;
  beforeEach(async () => {
    share = path.join(dir, 'storage/nas/nas-0a1b2c');
    await fs.mkdir(path.join(share, 'pv-1/data'), { recursive: true });
    nas = new NasMounter(path.join(dir, 'storage'), lookup);
  });

  it('resolves an export to the directory of its file system', async () => {
    expect(await nas.resolve(nfs('/'))).toBe(share);
    expect(await nas.resolve(nfs('/pv-1/'))).toBe(path.join(share, 'pv-1'));
    expect(await nas.resolve(nfs('/pv-1/data'))).toBe(path.join(share, 'pv-1/data'));
  });

  it('refuses what a NAS server would: a missing path, "..", a relative path, a file, an unknown server', async () => {
    await fs.writeFile(path.join(share, 'file'), '');
    for (const p of ['/missing', '/pv-1/../..', 'pv-1', '/file'])
      await expect(nas.resolve(nfs(p))).rejects.toMatchObject({
        code: 'FailedMount',
        message: `mount.nfs: access denied by server while mounting ${SERVER}:${p}`,
      });
    await expect(nas.resolve({ server: 'ffffff.nas.skiff.local', path: '/' })).rejects.toMatchObject({
      code: 'FailedMount',
      message: 'mount.nfs: Failed to resolve server ffffff.nas.skiff.local: Name or service not known',
    });
    // A file system storage-svc knows but whose directory is gone.
    await fs.rm(share, { recursive: true });
    await expect(nas.resolve(nfs('/'))).rejects.toMatchObject({ code: 'FailedMount' });
  });

  it('makes a missing subPath inside the export, and nothing outside it through a symlink', async () => {
    const made = await nas.resolve(nfs('/pv-1'), 'logs/app');
    expect(made).toBe(path.join(share, 'pv-1/logs/app'));
    expect((await fs.stat(made)).isDirectory()).toBe(true);
    expect(await nas.resolve(nfs('/pv-1'), './logs/app')).toBe(made);

    const outside = path.join(dir, 'outside');
    await fs.mkdir(outside);
    await fs.symlink(outside, path.join(share, 'pv-1/escape'));
    await expect(nas.resolve(nfs('/pv-1'), 'escape/new')).rejects.toMatchObject({
      code: 'InvalidSubPath',
      message: `subPath "escape/new" leaves volume "${SERVER}:/pv-1"`,
    });
    expect(existsSync(path.join(outside, 'new'))).toBe(false);
    await expect(nas.resolve(nfs('/pv-1/escape'))).rejects.toMatchObject({ code: 'FailedMount' });

    for (const sub of ['/abs', 'a/../../b'])
      await expect(nas.resolve(nfs('/pv-1'), sub)).rejects.toMatchObject({ code: 'InvalidSubPath' });
  });
});

/** Records every command and answers from a script; mounts are what the test writes into a mountinfo file. */
class FakeRunner extends ProcessRunner {
  readonly calls: string[] = [];
  constructor(private readonly answer: (command: string) => RunResult | undefined = () => undefined) {
    super();
  }
  override async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const line = [command, ...args].join(' ');
    this.calls.push(line);
    const result = this.answer(line) ?? { code: 0, stdout: '', stderr: '' };
    if (result.code !== 0 && !options.allowFailure)
      throw new Error(`${command} exited ${result.code}: ${result.stderr}`);
    return result;
  }
}

describe(NfsNasBackend.name, () => {
  let mountinfo: string;
  const mounted = (target: string) =>
    fs.writeFile(mountinfo, `90 29 0:50 / ${target} rw,relatime shared:1 - nfs ${SERVER}:/pv-1 rw,vers=3\n`);
  const backend = (runner: ProcessRunner) =>
    new NfsNasBackend(path.join(dir, 'staging'), runner, new MountTable(mountinfo));

  beforeEach(async () => {
    mountinfo = path.join(dir, 'mountinfo');
    await fs.writeFile(mountinfo, '');
  });

  it('mounts an export once at its staging dir with ASK options unless the volume names its own', async () => {
    const runner = new FakeRunner();
    const nfsBackend = backend(runner);
    const staging = nfsBackend.stagingPath(nfs('/pv-1'));
    expect(staging).toMatch(new RegExp(`/staging/${SERVER}-[0-9a-f]{12}$`));

    expect(await nfsBackend.resolve(nfs('/pv-1'))).toBe(staging);
    expect(runner.calls).toEqual([`mount -t nfs -o vers=3,nolock,tcp,noresvport ${SERVER}:/pv-1 ${staging}`]);

    await mounted(staging);
    expect(await nfsBackend.resolve(nfs('/pv-1'), 'logs')).toBe(path.join(staging, 'logs'));
    expect(runner.calls).toHaveLength(1);

    const other = nfs('/pv-2', ['nolock,tcp', 'vers=4.0']);
    await nfsBackend.resolve(other);
    expect(runner.calls[1]).toBe(
      `mount -t nfs -o nolock,tcp,vers=4.0 ${SERVER}:/pv-2 ${nfsBackend.stagingPath(other)}`,
    );
  });

  it('unmounts and removes the staging dir on release, once', async () => {
    const runner = new FakeRunner();
    const nfsBackend = backend(runner);
    const staging = await nfsBackend.resolve(nfs('/pv-1'));
    await mounted(staging);
    await nfsBackend.release(staging);
    expect(runner.calls.slice(1)).toEqual([`umount ${staging}`]);
    expect(existsSync(staging)).toBe(false);

    await fs.writeFile(mountinfo, '');
    await nfsBackend.release(staging);
    await nfsBackend.release(path.join(dir, 'elsewhere', 'x')); // not its own: left alone
    expect(runner.calls).toHaveLength(2);
  });

  it("reports mount.nfs's own words, and runs nothing for an export no server would accept", async () => {
    const runner = new FakeRunner(() => ({
      code: 32,
      stdout: '',
      stderr: `mount.nfs: access denied by server while mounting ${SERVER}:/nope`,
    }));
    await expect(backend(runner).resolve(nfs('/nope'))).rejects.toMatchObject({
      code: 'FailedMount',
      message: expect.stringMatching(
        new RegExp(`^MountVolume.SetUp failed for volume "${SERVER}:/nope" : mount failed: .*access denied by server`),
      ),
    });
    await expect(backend(runner).resolve(nfs('/a/../b'))).rejects.toMatchObject({ code: 'FailedMount' });
    await expect(backend(runner).resolve({ server: '-o remount', path: '/' })).rejects.toMatchObject({
      code: 'FailedMount',
    });
    expect(runner.calls).toHaveLength(1);
  });
});
