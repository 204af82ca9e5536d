import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { ProcessError, ProcessRunner } from '@skiff/host-tools';
import { ImageError } from './image.error';
import { ImageReference, parseImageReference } from './image-reference';
import * as path from 'node:path';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface RegistryMirror {
  /** host[:port], e.g. `127.0.0.1:5000` */
  endpoint: string;
  /** plain HTTP / unverified TLS */
  insecure?: boolean;
}

export interface ImageStoreOptions {
  /** Directory for the OCI layout, unpacked rootfs dirs and the tag index. */
  root: string;
  /** Per registry host (`docker.io`), mirrors tried in order before the registry itself. */
  mirrors?: Record<string, RegistryMirror[]>;
  /** Registries reached over plain HTTP. */
  insecureRegistries?: string[];
  /** Try the real registry after its mirrors fail. Off by default: no egress unless an operator enables it. */
  allowUpstream?: boolean;
  pullTimeoutMs?: number;
}

/** `kubernetes.io/dockerconfigjson` content of an imagePullSecret. */
export interface DockerConfigJson {
  auths: Record<string, { auth?: string; username?: string; password?: string }>;
}

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
}

export interface PulledImage {
  /** normalized reference asked for */
  imageRef: string;
  /** `docker.io/library/busybox@sha256:…` (digest of what the registry served) */
  repoDigest: string;
  /** config digest, `sha256:…` (what CRI calls the image id) */
  imageID: string;
  manifestDigest: string;
  /** read-only unpacked rootfs, the overlay lower dir */
  rootfs: string;
  config: ImageConfig;
}

interface OciDescriptor {
  digest: string;
  mediaType?: string;
  annotations?: Record<string, string>;
}

const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

/** Pulls with skopeo into one content-addressed OCI layout and unpacks each manifest once with umoci. */
export class ImageStore {
  private readonly layout: string;
  private readonly inflight = new Map<string, Promise<PulledImage>>();
  // skopeo and umoci both rewrite the layout's index.json without a lock of their own.
  private layoutLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: ImageStoreOptions,
    private readonly runner: ProcessRunner = new ProcessRunner(),
  ) {
    this.layout = path.join(options.root, 'layout');
  }

  /** Resolves the image per pull policy; concurrent calls for one reference share one pull. */
  ensure(image: string, policy: PullPolicy, auth?: DockerConfigJson): Promise<PulledImage> {
    const ref = parseImageReference(image);
    const key = `${ref.normalized}|${policy}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const work = this.ensureOnce(ref, policy, auth).finally(() => this.inflight.delete(key));
    this.inflight.set(key, work);
    return work;
  }

  /** The image if it is already local, without touching any registry. */
  async local(image: string): Promise<PulledImage | undefined> {
    const ref = parseImageReference(image);
    const top = ref.digest ?? (await this.readTags())[ref.normalized];
    if (!top || !(await this.findManifest(top))) return undefined;
    return this.materialize(ref, top);
  }

  private async ensureOnce(ref: ImageReference, policy: PullPolicy, auth?: DockerConfigJson): Promise<PulledImage> {
    const have = await this.local(ref.normalized);
    if (policy === 'Never') {
      if (have) return have;
      throw new ImageError(
        'ErrImageNeverPull',
        `Container image "${ref.normalized}" is not present with pull policy of Never`,
      );
    }
    if (have && (policy === 'IfNotPresent' || ref.digest)) return have;
    const failures: string[] = [];
    for (const source of this.sources(ref)) {
      try {
        const creds = this.credentials(auth, source.host, ref.registry);
        const top = await this.resolveDigest(source.image, source.insecure, creds);
        if (!(await this.findManifest(top))) await this.copy(source.image, source.insecure, creds, top);
        await this.writeTag(ref.normalized, top);
        return await this.materialize(ref, top);
      } catch (err) {
        if (err instanceof ImageError && err.code !== 'ErrImagePull') throw err;
        failures.push(err instanceof ProcessError ? cleanSkopeoMessage(err.stderr || err.message) : String(err));
      }
    }
    throw new ImageError('ErrImagePull', `failed to pull image "${ref.normalized}": ${failures.join('; ')}`);
  }

  private sources(ref: ImageReference): { host: string; image: string; insecure: boolean }[] {
    const suffix = `${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`;
    const list = (this.options.mirrors?.[ref.registry] ?? []).map((m) => ({
      host: m.endpoint,
      image: `docker://${m.endpoint}/${suffix}`,
      insecure: m.insecure ?? false,
    }));
    if (this.options.allowUpstream || list.length === 0) {
      list.push({
        host: ref.registry,
        image: `docker://${ref.registry}/${suffix}`,
        insecure: this.options.insecureRegistries?.includes(ref.registry) ?? false,
      });
    }
    return list;
  }

  private credentials(auth: DockerConfigJson | undefined, ...hosts: string[]): string | undefined {
    if (!auth?.auths) return undefined;
    for (const [key, entry] of Object.entries(auth.auths)) {
      if (!hosts.includes(normalizeAuthHost(key))) continue;
      if (entry.username !== undefined && entry.password !== undefined) return `${entry.username}:${entry.password}`;
      if (entry.auth) return Buffer.from(entry.auth, 'base64').toString('utf8');
    }
    return undefined;
  }

  // The digest of the top-level manifest as served (an index for multi-arch images) names the pull.
  private async resolveDigest(image: string, insecure: boolean, creds?: string): Promise<string> {
    const args = ['inspect', '--raw', `--tls-verify=${!insecure}`, ...(creds ? ['--creds', creds] : []), image];
    const { stdout } = await this.runner.run('skopeo', args, { timeoutMs: this.options.pullTimeoutMs ?? 120_000 });
    return `sha256:${createHash('sha256').update(stdout, 'utf8').digest('hex')}`;
  }

  private async copy(image: string, insecure: boolean, creds: string | undefined, top: string): Promise<void> {
    await fs.mkdir(this.options.root, { recursive: true });
    const args = [
      'copy',
      '--quiet',
      `--src-tls-verify=${!insecure}`,
      ...(creds ? ['--src-creds', creds] : []),
      image,
      `oci:${this.layout}:${top}`,
    ];
    await this.withLayout(() => this.runner.run('skopeo', args, { timeoutMs: this.options.pullTimeoutMs ?? 600_000 }));
  }

  private async materialize(ref: ImageReference, top: string): Promise<PulledImage> {
    const manifest = await this.findManifest(top);
    if (!manifest) throw new ImageError('ErrImagePull', `image ${ref.normalized} vanished from the store`);
    const manifestJson = JSON.parse(await fs.readFile(this.blobPath(manifest.digest), 'utf8')) as {
      config: OciDescriptor;
    };
    const configJson = JSON.parse(await fs.readFile(this.blobPath(manifestJson.config.digest), 'utf8')) as {
      config?: ImageConfig;
    };
    const rootfs = await this.unpack(top, manifest.digest);
    const c = configJson.config ?? {};
    return {
      imageRef: ref.normalized,
      repoDigest: `${ref.registry}/${ref.repository}@${top}`,
      imageID: manifestJson.config.digest,
      manifestDigest: manifest.digest,
      rootfs,
      config: {
        Entrypoint: c.Entrypoint ?? undefined,
        Cmd: c.Cmd ?? undefined,
        Env: c.Env ?? undefined,
        WorkingDir: c.WorkingDir || undefined,
        User: c.User || undefined,
      },
    };
  }

  private readonly unpacking = new Map<string, Promise<string>>();

  // One read-only rootfs per manifest, unpacked beside and renamed into place so a crash leaves no half tree.
  private unpack(top: string, manifestDigest: string): Promise<string> {
    const hex = manifestDigest.replace(/^sha256:/, '');
    const dir = path.join(this.options.root, 'rootfs', hex);
    const rootfs = path.join(dir, 'rootfs');
    const running = this.unpacking.get(hex);
    if (running) return running;
    const work = (async () => {
      if (await exists(rootfs)) return rootfs;
      const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
      await fs.mkdir(path.dirname(dir), { recursive: true });
      try {
        // As root umoci keeps file owners; --rootless would squash them to the agent's uid.
        await this.withLayout(() =>
          this.runner.run('umoci', ['unpack', '--image', `${this.layout}:${top}`, tmp], { timeoutMs: 600_000 }),
        );
        await fs.rename(tmp, dir);
      } catch (err) {
        await fs.rm(tmp, { recursive: true, force: true });
        if (await exists(rootfs)) return rootfs;
        const text = err instanceof ProcessError ? err.stderr : String(err);
        throw new ImageError('ImageUnpackFailed', `unpacking ${manifestDigest}: ${text.trim()}`);
      }
      return rootfs;
    })().finally(() => this.unpacking.delete(hex));
    this.unpacking.set(hex, work);
    return work;
  }

  private async findManifest(top: string): Promise<OciDescriptor | undefined> {
    let index: { manifests?: OciDescriptor[] };
    try {
      index = JSON.parse(await fs.readFile(path.join(this.layout, 'index.json'), 'utf8')) as {
        manifests?: OciDescriptor[];
      };
    } catch {
      return undefined;
    }
    const hit = index.manifests?.find((m) => m.annotations?.[REF_ANNOTATION] === top);
    return hit && (await exists(this.blobPath(hit.digest))) ? hit : undefined;
  }

  private blobPath(digest: string): string {
    const [alg, hex] = digest.split(':');
    return path.join(this.layout, 'blobs', alg, hex);
  }

  private async readTags(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.options.root, 'tags.json'), 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private writeTag(normalized: string, top: string): Promise<void> {
    return this.withLayout(async () => {
      const tags = await this.readTags();
      if (tags[normalized] === top) return;
      tags[normalized] = top;
      const file = path.join(this.options.root, 'tags.json');
      await fs.writeFile(`${file}.tmp`, JSON.stringify(tags, null, 1));
      await fs.rename(`${file}.tmp`, file);
    });
  }

  private withLayout<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.layoutLock.then(fn, fn);
    this.layoutLock = next.catch(() => undefined);
    return next;
  }
}

function normalizeAuthHost(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0];
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

// skopeo prints `time="…" level=fatal msg="…"`; users want the message.
function cleanSkopeoMessage(text: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
  return (m ? m[1].replace(/\\"/g, '"') : text).trim();
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
