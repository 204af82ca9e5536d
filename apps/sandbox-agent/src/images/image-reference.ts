import { ImageError } from './image.error';

/** A parsed image reference in its fully qualified form, as kubelet and containerd spell it. */
export interface ImageReference {
  /** `docker.io`, `ghcr.io`, `127.0.0.1:5000` */
  registry: string;
  /** `library/busybox` */
  repository: string;
  tag?: string;
  /** `sha256:<hex>` when the reference pins a digest */
  digest?: string;
  /** `docker.io/library/busybox:latest`, `ghcr.io/x/y@sha256:…` */
  normalized: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Normalizes like distribution/reference.ParseNormalizedNamed: `busybox` → `docker.io/library/busybox:latest`. */
export function parseImageReference(input: string): ImageReference {
  const raw = input.trim();
  if (!raw) throw new ImageError('InvalidImageName', 'image reference is empty');
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ImageError('InvalidImageName', `invalid digest in image reference "${raw}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageError('InvalidImageName', `invalid tag in image reference "${raw}"`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  // The first component is a registry only if it looks like a host (dot, port or localhost), as upstream decides.
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift() as string;
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p))) {
    throw new ImageError('InvalidImageName', `invalid image reference "${raw}": repository must be lowercase`);
  }
  const repository = parts.join('/');
  if (!tag && !digest) tag = 'latest';
  const normalized = `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { registry, repository, tag, digest, normalized };
}
