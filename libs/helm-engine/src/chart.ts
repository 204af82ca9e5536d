import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { ChartMetadata, HelmRenderer } from './renderer';

/** A chart as Helm's loader reads it (a directory or a .tgz): one level of the tree, its subcharts below. */
export interface Chart {
  metadata: ChartMetadata;
  /** values.yaml, read as Helm reads YAML. */
  values: Record<string, unknown>;
  /** values.schema.json, parsed. */
  schema?: Record<string, unknown>;
  /** templates/…, by path in the chart. */
  templates: ChartFile[];
  /** Everything else but Chart.yaml, Chart.lock, values.yaml, values.schema.json and requirements.*: `.Files` (crds/ too). */
  files: ChartFile[];
  /** The charts under charts/, as found (directories or archives). */
  dependencies: Chart[];
}

export interface ChartFile {
  name: string;
  data: Buffer;
}

/** A chart that cannot be read, worded as Helm's loader words it. */
export class ChartLoadError extends Error {}

/** Reads a chart from a directory, a .tgz file, or the bytes of a .tgz. */
export async function loadChart(source: string | Buffer): Promise<Chart> {
  if (Buffer.isBuffer(source)) return loadFiles(await untar(source));
  const stat = await fs.stat(source).catch(() => {
    throw new ChartLoadError(`path "${source}" not found`);
  });
  if (stat.isDirectory()) return loadFiles(await readChartDirectory(source));
  return loadFiles(await untar(await fs.readFile(source)));
}

/** A chart's files (paths relative to its root, "/"-separated) into a Chart, subcharts included. */
export async function loadFiles(files: ChartFile[]): Promise<Chart> {
  const renderer = await HelmRenderer.load();
  const yaml = (f: ChartFile) => {
    try {
      return (renderer.yamlToJson(f.data.toString('utf8')) ?? {}) as Record<string, unknown>;
    } catch (err) {
      throw new ChartLoadError(`cannot load ${f.name}: error converting YAML to JSON: ${(err as Error).message}`);
    }
  };
  let metadata: ChartMetadata | undefined;
  let requirements: Record<string, unknown> | undefined;
  const chart: Omit<Chart, 'metadata'> = { values: {}, templates: [], files: [], dependencies: [] };
  const subcharts = new Map<string, ChartFile[]>();
  for (const f of files) {
    if (f.name === 'Chart.yaml') metadata = yaml(f) as unknown as ChartMetadata;
    else if (f.name === 'values.yaml') chart.values = yaml(f);
    else if (f.name === 'values.schema.json') {
      try {
        chart.schema = JSON.parse(f.data.toString('utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new ChartLoadError(`cannot load values.schema.json: ${(err as Error).message}`);
      }
    } else if (f.name === 'requirements.yaml') requirements = yaml(f);
    else if (f.name === 'Chart.lock' || f.name === 'requirements.lock') continue;
    else if (f.name.startsWith('templates/')) chart.templates.push(f);
    else if (f.name.startsWith('charts/') && path.posix.extname(f.name) !== '.prov') {
      const rest = f.name.slice('charts/'.length);
      const [dir, ...inner] = rest.split('/');
      const list = subcharts.get(dir) ?? [];
      subcharts.set(dir, list);
      list.push({ name: inner.join('/'), data: f.data });
    } else chart.files.push(f);
  }
  if (!metadata) throw new ChartLoadError('Chart.yaml file is missing');
  // v1 charts list their dependencies in requirements.yaml.
  if (requirements?.dependencies) metadata.dependencies = requirements.dependencies as ChartMetadata['dependencies'];
  metadata = stringFields(metadata);
  metadata.apiVersion ||= 'v1';
  validateMetadata(metadata);
  for (const [dir, list] of [...subcharts].sort(([a], [b]) => a.localeCompare(b))) {
    // As Helm: names starting with "." or "_" are not charts.
    if (dir.startsWith('.') || dir.startsWith('_')) continue;
    const archive = list.length === 1 && list[0].name === '' ? list[0] : undefined;
    try {
      if (archive && dir.endsWith('.tgz')) chart.dependencies.push(await loadFiles(await untar(archive.data)));
      else if (!archive) chart.dependencies.push(await loadFiles(list));
    } catch (err) {
      throw new ChartLoadError(`error unpacking subchart ${dir} in ${metadata.name}: ${(err as Error).message}`);
    }
  }
  return { metadata, ...chart };
}

const METADATA_STRINGS = [
  'name',
  'home',
  'version',
  'description',
  'icon',
  'apiVersion',
  'condition',
  'tags',
  'appVersion',
  'kubeVersion',
  'type',
];
const DEPENDENCY_STRINGS = ['name', 'version', 'repository', 'condition', 'alias'];

/**
 * Chart.yaml's string fields as Helm's typed read leaves them: a number or a boolean where a string belongs is
 * its text (so `appVersion: 1.10` is "1.1", as in Helm).
 */
export function stringFields<T extends ChartMetadata>(m: T): T {
  const fix = (o: Record<string, unknown>, keys: string[]) => {
    for (const k of keys) if (typeof o[k] === 'number' || typeof o[k] === 'boolean') o[k] = String(o[k]);
  };
  fix(m as unknown as Record<string, unknown>, METADATA_STRINGS);
  for (const d of m.dependencies ?? []) fix(d as unknown as Record<string, unknown>, DEPENDENCY_STRINGS);
  return m;
}

function validateMetadata(m: ChartMetadata): void {
  if (!m.name) throw new ChartLoadError('validation: chart.metadata.name is required');
  if (m.name.includes('/') || m.name.includes('\\') || m.name === '.' || m.name === '..')
    throw new ChartLoadError(`validation: chart.metadata.name "${m.name}" is invalid`);
  if (!m.version) throw new ChartLoadError('validation: chart.metadata.version is required');
  if (m.apiVersion !== 'v1' && m.apiVersion !== 'v2')
    throw new ChartLoadError(`validation: chart.metadata.apiVersion "${m.apiVersion}" is invalid`);
  if (m.type && m.type !== 'application' && m.type !== 'library')
    throw new ChartLoadError('validation: chart.metadata.type must be application or library');
}

/** A chart directory's files, less what its .helmignore leaves out. */
export async function readChartDirectory(root: string): Promise<ChartFile[]> {
  const ignore = await readIgnore(root);
  const out: ChartFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (ignore(name, entry.isDirectory())) continue;
      if (entry.isDirectory()) await walk(name);
      else if (entry.isFile()) out.push({ name, data: await fs.readFile(path.join(root, name)) });
    }
  };
  await walk('');
  return out;
}

/** .helmignore: gitignore-style lines (`#` comments, `!` to keep, a trailing `/` for directories only). */
async function readIgnore(root: string): Promise<(name: string, dir: boolean) => boolean> {
  const text = await fs.readFile(path.join(root, '.helmignore'), 'utf8').catch(() => '');
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      let pattern = negate ? l.slice(1) : l;
      const dirOnly = pattern.endsWith('/');
      if (dirOnly) pattern = pattern.slice(0, -1);
      return { negate, dirOnly, pattern, re: globRegExp(pattern) };
    });
  return (name, dir) => {
    if (name === '.helmignore') return true;
    let ignored = false;
    for (const r of rules) {
      if (r.dirOnly && !dir) continue;
      const subject = r.pattern.includes('/') ? name : path.posix.basename(name);
      if (r.re.test(subject)) ignored = !r.negate;
    }
    return ignored;
  };
}

/** A filepath.Match pattern (`*`, `?`, `[…]`) as a RegExp over one name. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A chart archive's files, without the one directory they all sit in. */
async function untar(archive: Buffer): Promise<ChartFile[]> {
  const files: ChartFile[] = [];
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.push({ name: header.name, data: Buffer.concat(chunks) });
        next();
      });
      stream.on('error', reject);
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
  });
  const gunzip = createGunzip();
  gunzip.on('error', (err) => tar.destroy(err));
  Readable.from([archive]).pipe(gunzip).pipe(tar);
  await done;
  if (files.length === 0) throw new ChartLoadError('no files in chart archive');
  const top = files[0].name.split('/')[0];
  for (const f of files) {
    const parts = f.name.split('/');
    if (parts.length < 2 || parts[0] !== top) throw new ChartLoadError(`chart archive holds ${f.name} outside ${top}/`);
    if (parts.includes('..')) throw new ChartLoadError(`chart archive holds an illegal path: ${f.name}`);
    f.name = parts.slice(1).join('/');
  }
  return files;
}
