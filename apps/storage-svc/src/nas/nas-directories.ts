import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** The domain NAS mount targets are named in: `<nas id>.nas.skiff.local` is `<dataRoot>/nas/<nas id>`. */
export const NAS_DOMAIN = 'nas.skiff.local';

export function nasServerOf(nasId: string): string {
  return `${nasId}.${NAS_DOMAIN}`;
}

/** NAS file systems on the host: `<dataRoot>/nas/<nas id>/`, sub-paths per volume; agents bind-mount them. */
export class NasDirectories {
  constructor(private readonly dataRoot: string) {}

  rootOf(nasId: string): string {
    return path.join(this.dataRoot, 'nas', nasId);
  }

  async ensure(nasId: string, subPath = '/'): Promise<string> {
    const dir = path.join(this.rootOf(nasId), subPath);
    // World-writable as an NFS export without root squash would be to its clients.
    await fs.mkdir(dir, { recursive: true, mode: 0o777 });
    await fs.chmod(dir, 0o777);
    return dir;
  }

  async remove(nasId: string, subPath: string): Promise<void> {
    if (subPath === '/' || subPath.split('/').includes('..')) return;
    await fs.rm(path.join(this.rootOf(nasId), subPath), { recursive: true, force: true });
  }
}
