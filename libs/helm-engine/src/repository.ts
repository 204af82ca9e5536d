import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ChartFile, loadFiles, readChartDirectory, stringFields } from './chart';
import { ChartMetadata, HelmRenderer } from './renderer';

/** One chart version in a repository's index.yaml: its Chart.yaml fields, where to get it, and its digest. */
export interface ChartVersion extends ChartMetadata {
  urls: string[];
  created: string;
  digest: string;
}

/** A chart repository's index.yaml, as Helm writes and reads it. */
export interface IndexFile {
  apiVersion: string;
  entries: Record<string, ChartVersion[]>;
  generated: string;
}

/** A packaged chart: `helm package`'s `<name>-<version>.tgz`. */
export interface ChartPackage {
  metadata: ChartMetadata;
  archive: Buffer;
  fileName: string;
}

/** A chart or index that could not be fetched, or a version that is not there, worded as Helm words it. */
export class ChartRepositoryError extends Error {}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

/**
 * `helm package DIR`: the chart's files (less .helmignore's) under one `<name>/` directory, gzipped. Every entry
 * has the same time, so packaging the same files again gives the same bytes and digest.
 */
export async function packageChart(dir: string): Promise<ChartPackage> {
  const files = await readChartDirectory(dir);
  const { metadata } = await loadFiles(files);
  const archive = gzipSync(await tarOf(metadata.name, files));
  return { metadata, archive, fileName: `${metadata.name}-${metadata.version}.tgz` };
}

function tarOf(top: string, files: ChartFile[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    tar.on('end', () => resolve(Buffer.concat(chunks)));
    tar.on('error', reject);
  });
  for (const f of [...files].sort((a, b) => a.name.localeCompare(b.name)))
    tar.entry({ name: `${top}/${f.name}`, size: f.data.length, mode: 0o644, mtime: new Date(0) }, f.data);
  tar.finalize();
  return done;
}

export function digestOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `helm repo index`: an index of packages whose URLs are their file names, beside index.yaml. */
export function indexOf(renderer: HelmRenderer, packages: ChartPackage[], now: Date): IndexFile {
  const entries: Record<string, ChartVersion[]> = {};
  for (const p of packages)
    (entries[p.metadata.name] ??= []).push({
      ...p.metadata,
      urls: [p.fileName],
      created: now.toISOString(),
      digest: digestOf(p.archive),
    });
  for (const list of Object.values(entries)) list.sort((a, b) => renderer.compareVersions(a.version, b.version));
  return { apiVersion: 'v1', entries, generated: now.toISOString() };
}

/** An index.yaml read as Helm reads one: it must have an apiVersion; each chart's versions newest first. */
export function parseIndex(renderer: HelmRenderer, text: string): IndexFile {
  let parsed: Partial<IndexFile> | null;
  try {
    parsed = renderer.yamlToJson(text) as Partial<IndexFile> | null;
  } catch (err) {
    throw new ChartRepositoryError(`error unmarshaling JSON: ${(err as Error).message}`);
  }
  if (!parsed?.apiVersion) throw new ChartRepositoryError('no API version specified');
  const entries: Record<string, ChartVersion[]> = {};
  for (const [name, list] of Object.entries(parsed.entries ?? {})) {
    // As Helm's loader, an entry without a version is left out rather than failing the whole index.
    entries[name] = (list ?? [])
      .filter((v) => v && v.version !== undefined && v.version !== null)
      .map((v) => stringFields(v))
      .sort((a, b) => renderer.compareVersions(a.version, b.version));
  }
  return { apiVersion: parsed.apiVersion, entries, generated: parsed.generated ?? '' };
}

/** Helm's ResolveChartVersion: the version `--version` names (an exact one or a constraint; the newest without). */
export function findChartVersion(
  renderer: HelmRenderer,
  index: IndexFile,
  repoName: string,
  chart: string,
  version = '',
): ChartVersion {
  const fail = (why: string) =>
    new ChartRepositoryError(
      `chart "${chart}" matching ${version} not found in ${repoName} index. (try 'helm repo update'): ${why}`,
    );
  const versions = index.entries[chart];
  if (!versions) throw fail('no chart name found');
  if (versions.length === 0) throw fail('no chart version found');
  let i: number;
  try {
    i = renderer.pickVersion(
      version,
      versions.map((v) => v.version),
    );
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (i < 0) throw fail(`no chart version found for ${chart}-${version}`);
  return versions[i];
}

/** A chart version's download URL: its first URL, relative ones resolved against the repository's. */
export function chartUrl(repoUrl: string, version: ChartVersion): string {
  if (!version.urls?.[0]) throw new ChartRepositoryError(`chart "${version.name}" has no downloadable URLs`);
  return new URL(version.urls[0], `${repoUrl.replace(/\/+$/, '')}/`).toString();
}

/** GET over HTTP(S); an answer other than 200 is Helm's `failed to fetch URL : STATUS`. */
export async function httpGet(url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    throw new ChartRepositoryError(`Get "${url}": ${cause?.message ?? (err as Error).message}`);
  }
  if (!res.ok) throw new ChartRepositoryError(`failed to fetch ${url} : ${res.status} ${res.statusText}`);
  return Buffer.from(await res.arrayBuffer());
}

/** A repository's index (`<url>/index.yaml`), as `helm repo add` and `helm repo update` fetch it. */
export async function fetchIndex(renderer: HelmRenderer, repoUrl: string): Promise<{ text: string; index: IndexFile }> {
  try {
    const text = (await httpGet(`${repoUrl.replace(/\/+$/, '')}/index.yaml`)).toString('utf8');
    return { text, index: parseIndex(renderer, text) };
  } catch (err) {
    throw new ChartRepositoryError(
      `looks like "${repoUrl}" is not a valid chart repository or cannot be reached: ${(err as Error).message}`,
    );
  }
}

/** `oci://registry/repository[:tag]` split up. */
export interface OciReference {
  registry: string;
  repository: string;
  tag?: string;
}

export function parseOciReference(ref: string): OciReference {
  const m = /^oci:\/\/([^/]+)\/(.+?)(?::([\w][\w.+-]{0,127}))?$/.exec(ref);
  if (!m) throw new ChartRepositoryError(`invalid_reference: invalid repository "${ref}"`);
  return { registry: m[1], repository: m[2], tag: m[3] };
}

/** Loopback registries are spoken to over plain HTTP (Helm's `--plain-http`); any other over HTTPS. */
function registryBase(registry: string): string {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const plain = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return `${plain ? 'http' : 'https'}://${registry}/v2`;
}

/**
 * `helm pull oci://…`: the chart layer of the tag a version names. OCI tags cannot hold `+`, so Helm writes it as
 * `_`; without an exact tag, the newest tag the constraint admits is taken.
 */
export async function pullOciChart(renderer: HelmRenderer, ref: string, version = ''): Promise<Buffer> {
  const { registry, repository, tag } = parseOciReference(ref);
  const base = `${registryBase(registry)}/${repository}`;
  let want = tag ?? version.replace(/\+/g, '_');
  if (!tag && !/^\d+\.\d+\.\d+([-_][\w.-]+)?$/.test(want)) {
    const { tags } = JSON.parse((await httpGet(`${base}/tags/list`)).toString('utf8')) as { tags: string[] | null };
    const versions = (tags ?? []).map((t) => t.replace(/_/g, '+')).sort((a, b) => renderer.compareVersions(a, b));
    const i = renderer.pickVersion(version, versions);
    if (i < 0) throw new ChartRepositoryError(`could not locate a version matching provided version string ${version}`);
    want = versions[i].replace(/\+/g, '_');
  }
  let manifest: { layers?: { mediaType: string; digest: string }[] };
  try {
    manifest = JSON.parse((await httpGet(`${base}/manifests/${want}`, { Accept: OCI_MANIFEST })).toString('utf8'));
  } catch (err) {
    if (err instanceof ChartRepositoryError && / : 404 /.test(err.message))
      throw new ChartRepositoryError(`${registry}/${repository}:${want}: not found`);
    throw err;
  }
  const layer = manifest.layers?.find((l) => l.mediaType === HELM_CHART_LAYER);
  if (!layer) throw new ChartRepositoryError(`manifest does not contain a layer with mediatype ${HELM_CHART_LAYER}`);
  const blob = await httpGet(`${base}/blobs/${layer.digest}`);
  if (`sha256:${digestOf(blob)}` !== layer.digest)
    throw new ChartRepositoryError(`${registry}/${repository}: layer ${layer.digest} does not match its digest`);
  return blob;
}

/** `helm push CHART.tgz oci://registry/namespace`: the chart at `<namespace>/<name>:<version>`. */
export async function pushOciChart(pkg: ChartPackage, remote: string): Promise<{ ref: string; digest: string }> {
  const { registry, repository, tag } = parseOciReference(remote.replace(/\/+$/, ''));
  if (tag)
    throw new ChartRepositoryError('--version and tag in the reference cannot both be given: push to a namespace');
  const repo = `${repository}/${pkg.metadata.name}`;
  const base = `${registryBase(registry)}/${repo}`;
  const config = Buffer.from(JSON.stringify(pkg.metadata));
  const descriptor = (mediaType: string, data: Buffer) => ({
    mediaType,
    digest: `sha256:${digestOf(data)}`,
    size: data.length,
  });
  for (const blob of [config, pkg.archive]) await pushBlob(base, blob);
  const version = pkg.metadata.version.replace(/\+/g, '_');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor(HELM_CONFIG, config),
      layers: [descriptor(HELM_CHART_LAYER, pkg.archive)],
      annotations: {
        'org.opencontainers.image.title': pkg.metadata.name,
        'org.opencontainers.image.version': pkg.metadata.version,
        ...(pkg.metadata.description ? { 'org.opencontainers.image.description': pkg.metadata.description } : {}),
      },
    }),
  );
  await send(`${base}/manifests/${version}`, 'PUT', manifest, { 'Content-Type': OCI_MANIFEST });
  return { ref: `${registry}/${repo}:${version}`, digest: `sha256:${digestOf(manifest)}` };
}

async function pushBlob(base: string, data: Buffer): Promise<void> {
  const digest = `sha256:${digestOf(data)}`;
  if ((await fetch(`${base}/blobs/${digest}`, { method: 'HEAD' })).ok) return;
  const started = await send(`${base}/blobs/uploads/`, 'POST');
  const location = started.headers.get('location');
  if (!location) throw new ChartRepositoryError(`${base}: the registry gave no upload location`);
  const url = new URL(location, base);
  url.searchParams.set('digest', digest);
  await send(url.toString(), 'PUT', data, { 'Content-Type': 'application/octet-stream' });
}

async function send(url: string, method: string, body?: Buffer, headers: Record<string, string> = {}) {
  let res: Response;
  try {
    res = await fetch(url, { method, body, headers });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    throw new ChartRepositoryError(`${method} "${url}": ${cause?.message ?? (err as Error).message}`);
  }
  if (!res.ok) throw new ChartRepositoryError(`${method} ${url}: ${res.status} ${(await res.text()).trim()}`);
  return res;
}
