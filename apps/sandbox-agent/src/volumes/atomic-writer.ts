import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VolumePayload } from './projected-files';

const DATA_DIR = '..data';

/**
 * kubelet's AtomicWriter: files live in a `..<timestamp>` directory, `..data` points at it, and
 * each top-level name is a symlink through `..data`; an update writes a new directory and swaps
 * `..data` with one rename, so a reader sees the old set or the new set, never a mix.
 * Resolves true when the content changed.
 */
export async function writeAtomically(dir: string, payload: VolumePayload, now = new Date()): Promise<boolean> {
  await fs.mkdir(dir, { recursive: true });
  const current = await fs.readlink(path.join(dir, DATA_DIR)).catch(() => undefined);
  if (current !== undefined && (await sameContent(path.join(dir, current), payload))) return false;
  const stamp = `..${now.toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}.${randomBytes(4).toString('hex')}`;
  const tsDir = path.join(dir, stamp);
  await fs.mkdir(tsDir, { mode: 0o755 });
  for (const [rel, file] of payload) {
    const target = path.join(tsDir, rel);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, file.data);
    await fs.chmod(target, file.mode);
  }
  const tmpLink = path.join(dir, `${DATA_DIR}_tmp`);
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(stamp, tmpLink);
  await fs.rename(tmpLink, path.join(dir, DATA_DIR));
  const tops = new Set([...payload.keys()].map((p) => p.split('/')[0]));
  for (const top of tops) {
    const link = path.join(dir, top);
    const existing = await fs.readlink(link).catch(() => undefined);
    if (existing !== path.join(DATA_DIR, top)) {
      await fs.rm(link, { force: true, recursive: true });
      await fs.symlink(path.join(DATA_DIR, top), link);
    }
  }
  for (const name of await fs.readdir(dir)) {
    if (name === DATA_DIR || name === stamp) continue;
    if (name.startsWith('..') || !tops.has(name)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
  return true;
}

async function sameContent(tsDir: string, payload: VolumePayload): Promise<boolean> {
  const existing = await listFiles(tsDir).catch(() => undefined);
  if (!existing || existing.length !== payload.size) return false;
  for (const rel of existing) {
    const want = payload.get(rel);
    if (!want) return false;
    const file = path.join(tsDir, rel);
    const [data, st] = await Promise.all([fs.readFile(file), fs.stat(file)]);
    if (!data.equals(want.data) || (st.mode & 0o7777) !== want.mode) return false;
  }
  return true;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}
