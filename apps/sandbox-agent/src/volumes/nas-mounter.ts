import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '@skiff/api-machinery';
import { ProcessRunner } from '@skiff/host-tools';
import { isPathUnder, MountTable } from './mount-table';
import { VolumeError } from './volume.error';

/** An NFS export as a volume names it: `nfs: {server, path}` (pod or PV) or flexVolume `alicloud/nas` options. */
export interface NasSource {
  /** The NAS mount target, e.g. `0a1b2c.nas.skiff.local`. */
  server: string;
  /** The exported path, `/` or a directory under it. */
  path: string;
  /** mount.nfs options (a PV's mountOptions, flexVolume `vers` and `options`). */
  mountOptions?: string[];
}

/** Makes NAS exports available on this host as directories that the pod's mount code binds into sandboxes. */
export interface NasBackend {
  /** The host directory showing `server:path`, or `subPath` inside it (made if missing, as kubelet does). */
  resolve(source: NasSource, subPath?: string): Promise<string>;
  /** Undoes what `resolve` set up on the host for the directory it gave; call it once no pod on this host uses it. */
  release(dir: string): Promise<void>;
}

/** Which NAS file system (`nas-…`) a mount target belongs to: storage-svc knows, the lead wires the answer in. */
export abstract class NasFileSystemLookup {
  abstract fileSystemId(server: string): Promise<string | undefined>;
}

// What `mount -o` of the alicloud/nas flexvolume and ASK's docs use when a volume names none.
export const DEFAULT_NFS_OPTIONS = ['vers=3', 'nolock', 'tcp', 'noresvport'];
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const FS_ID = /^[a-z0-9][a-z0-9-]*$/;

/**
 * The NAS of this installation: file system `nas-…` is the directory `<dataRoot>/nas/<fs-id>` (the kernel here has no
 * NFS client), so resolving an export is finding the directory the server would serve; the pod binds it.
 */
export class NasMounter implements NasBackend {
  private readonly nasRoot: string;

  constructor(
    dataRoot: string,
    private readonly fileSystems: NasFileSystemLookup,
  ) {
    this.nasRoot = path.join(path.resolve(dataRoot), 'nas');
  }

  async resolve(source: NasSource, subPath?: string): Promise<string> {
    const exported = checkExport(source);
    const fsId = await this.fileSystems.fileSystemId(source.server);
    if (!fsId || !FS_ID.test(fsId)) throw unknownServer(source.server);
    const root = await fs.realpath(path.join(this.nasRoot, fsId)).catch(() => {
      throw accessDenied(source);
    });
    // A server serves nothing outside its export: a symlink a client left must not lead out of the file system.
    const dir = await fs.realpath(path.join(root, exported)).catch(() => {
      throw accessDenied(source);
    });
    if (!isPathUnder(dir, root) || !(await fs.stat(dir)).isDirectory()) throw accessDenied(source);
    return subPath === undefined ? dir : subPathIn(dir, subPath, source);
  }

  // The bind into the pod is the pod's mount code's: nothing on the host to undo.
  async release(): Promise<void> {}
}

/** A real NFS client: `mount -t nfs server:path` once per host at a staging dir, for hosts whose kernel has one. */
export class NfsNasBackend implements NasBackend {
  private readonly stagingDir: string;

  constructor(
    stagingDir: string,
    private readonly runner: ProcessRunner = new ProcessRunner(),
    private readonly mounts: MountTable = new MountTable(),
  ) {
    this.stagingDir = path.resolve(stagingDir);
  }

  /** `<stagingDir>/<server>-<hash of server:path>`: one mount per export, whatever characters the path holds. */
  stagingPath(source: NasSource): string {
    const hash = createHash('sha256').update(`${source.server}:${source.path}`).digest('hex').slice(0, 12);
    return path.join(this.stagingDir, `${source.server}-${hash}`);
  }

  async resolve(source: NasSource, subPath?: string): Promise<string> {
    checkExport(source);
    const dir = this.stagingPath(source);
    if (!(await this.mounts.at(dir))) {
      await fs.mkdir(dir, { recursive: true });
      const options = source.mountOptions?.length ? source.mountOptions : DEFAULT_NFS_OPTIONS;
      try {
        await this.runner.run('mount', ['-t', 'nfs', '-o', options.join(','), `${source.server}:${source.path}`, dir]);
      } catch (err) {
        throw new VolumeError(
          'FailedMount',
          `MountVolume.SetUp failed for volume ${label(source)} : mount failed: ${errorMessage(err)}`,
        );
      }
    }
    return subPath === undefined ? dir : subPathIn(dir, subPath, source);
  }

  async release(dir: string): Promise<void> {
    // Only this backend's own mounts: a directory it did not resolve is nothing of its.
    if (path.dirname(path.resolve(dir)) !== this.stagingDir) return;
    if (await this.mounts.at(dir)) {
      try {
        await this.runner.run('umount', [dir]);
      } catch (err) {
        throw new VolumeError('FailedDetachVolume', `UnmountVolume.TearDown failed for ${dir} : ${errorMessage(err)}`);
      }
    }
    // rmdir, never rm -r: a mount still there would have the NAS's files under it.
    await fs.rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/** The export path, checked as an NFS server would refuse it; resolves it relative to the file system's root. */
function checkExport(source: NasSource): string {
  if (!HOST_NAME.test(source.server)) throw unknownServer(source.server);
  if (!source.path.startsWith('/') || source.path.split('/').includes('..')) throw accessDenied(source);
  return source.path.slice(1);
}

/**
 * `subPath` under the export, made one directory at a time like kubelet does for a missing subPath: each step is
 * resolved before the next is made, so a symlink in the share cannot have a directory made outside it.
 */
async function subPathIn(dir: string, subPath: string, source: NasSource): Promise<string> {
  if (subPath.startsWith('/') || subPath.split('/').includes('..'))
    throw new VolumeError('InvalidSubPath', `subPath "${subPath}" must be a relative path without ".."`);
  let current = dir;
  for (const name of subPath.split('/').filter((s) => s && s !== '.')) {
    const next = path.join(current, name);
    await fs.mkdir(next, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST')
        throw new VolumeError(
          'InvalidSubPath',
          `subPath "${subPath}" cannot be made in volume ${label(source)} (${err.code})`,
        );
    });
    current = await fs.realpath(next);
    if (!isPathUnder(current, dir))
      throw new VolumeError('InvalidSubPath', `subPath "${subPath}" leaves volume ${label(source)}`);
  }
  return current;
}

function accessDenied(source: NasSource): VolumeError {
  return new VolumeError(
    'FailedMount',
    `mount.nfs: access denied by server while mounting ${source.server}:${source.path}`,
  );
}

function unknownServer(server: string): VolumeError {
  return new VolumeError('FailedMount', `mount.nfs: Failed to resolve server ${server}: Name or service not known`);
}

function label(source: NasSource): string {
  return `"${source.server}:${source.path}"`;
}
