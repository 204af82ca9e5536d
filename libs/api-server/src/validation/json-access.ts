// Narrowing helpers for untyped request bodies: validation never trusts the shape it is given.
import { isJsonObject, type JsonObject } from '@skiff/api-machinery';

export type Obj = Record<string, unknown>;

export function objAt(v: unknown): Obj | undefined {
  return isJsonObject(v) ? (v as Obj) : undefined;
}

export function arrAt(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function strAt(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function numAt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Returns `parent[key]` as an object, creating it when missing (for defaulting on a private copy). */
export function ensureObj(parent: Obj, key: string): Obj {
  const cur = objAt(parent[key]);
  if (cur) return cur;
  const created: Obj = {};
  parent[key] = created;
  return created;
}

export function setIfUnset(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/** Deep copy of plain JSON data. */
export function cloneJson<T>(v: T): T {
  return structuredClone(v);
}

/** Structural equality of JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  const oa = objAt(a);
  const ob = objAt(b);
  if (!oa || !ob) return false;
  const ka = Object.keys(oa).filter((k) => oa[k] !== undefined);
  const kb = Object.keys(ob).filter((k) => ob[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual(oa[k], ob[k]));
}

export type { JsonObject };
