import { KubeObject } from '@skiff/api-machinery';
import { ResourceType } from '@skiff/api-server';
import { randomInt, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

// Upstream's generateName alphabet: no vowels (no words), no look-alike characters.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generatedName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

/** RFC 3339 at second precision, as Kubernetes writes timestamps. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newUid(): string {
  return randomUUID();
}

export function hasSubresource(type: ResourceType, name: string): boolean {
  return type.subresources.some((s) => s.name === name);
}

const SERVER_OWNED_META = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
];

/** Metadata a client may not set on create. */
export function withoutServerMeta(obj: KubeObject): KubeObject {
  const metadata = { ...obj.metadata };
  for (const f of SERVER_OWNED_META) delete metadata[f];
  return { ...obj, metadata };
}

/** True when anything but metadata and status differs: the object's generation moves. */
export function specChanged(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): Record<string, unknown> => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return !isDeepStrictEqual(strip(a), strip(b));
}

/** Equal apart from the bookkeeping a no-op write would refresh (managedFields timestamps). */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => {
    const { managedFields: _mf, resourceVersion: _rv, ...metadata } = o.metadata;
    return { ...o, metadata };
  };
  return isDeepStrictEqual(strip(a), strip(b));
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}
