import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  /** What was mounted: a device (`/dev/loop3`, also for binds of it), `server:/path` for NFS, a name for tmpfs. */
  source: string;
}

/** The host's mounts as the kernel lists them, in mount order (a later entry covers an earlier one at the same point). */
export class MountTable {
  constructor(private readonly file = '/proc/self/mountinfo') {}

  async list(): Promise<MountEntry[]> {
    return parseMountInfo(await fs.readFile(this.file, 'utf8'));
  }

  /** The mount visible at `dir`, if `dir` is a mount point. */
  async at(dir: string): Promise<MountEntry | undefined> {
    const target = path.resolve(dir);
    return (await this.list()).filter((m) => m.mountPoint === target).pop();
  }
}

/** Parses /proc/<pid>/mountinfo: `id parent major:minor root mountpoint options [optional…] - fstype source super-options`. */
export function parseMountInfo(text: string): MountEntry[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.split(' ');
      const dash = fields.indexOf('-', 6);
      return { mountPoint: unescape(fields[4]), fsType: fields[dash + 1], source: unescape(fields[dash + 2]) };
    });
}

// Spaces, tabs, newlines and backslashes come octal-escaped.
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Whether `p` is `dir` or inside it (both absolute and normalized). */
export function isPathUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`);
}
