import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SavedPodOffsets } from './pod-log-state';

/** `<stateDir>/log-offsets/<podUid>.json`: where each file of a pod was read and delivered to, written atomically. */
export class LogOffsetsStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'log-offsets');
  }

  async load(uid: string): Promise<SavedPodOffsets | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.file(uid), 'utf8')) as SavedPodOffsets;
    } catch {
      // None yet (or unreadable, which a rename-written file is not): the pod's files are read from their start.
      return undefined;
    }
  }

  async save(offsets: SavedPodOffsets): Promise<void> {
    const file = this.file(offsets.uid);
    await fs.mkdir(this.dir, { recursive: true });
    await fs.writeFile(`${file}.tmp`, JSON.stringify(offsets));
    await fs.rename(`${file}.tmp`, file);
  }

  async remove(uid: string): Promise<void> {
    await fs.rm(this.file(uid), { force: true });
  }

  private file(uid: string): string {
    if (!/^[a-z0-9-]+$/.test(uid)) throw new Error(`pod uid "${uid}" is not a uid`);
    return path.join(this.dir, `${uid}.json`);
  }
}
