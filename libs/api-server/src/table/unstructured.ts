// Typed reads from stored JSON objects: printers must not crash on a field that is absent
// or of an unexpected shape, so every read is checked and falls back to "empty".
export type Json = unknown;

export function at(obj: Json, ...path: (string | number)[]): Json {
  let cur = obj;
  for (const p of path) {
    if (typeof p === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[p];
    } else {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
  }
  return cur;
}

export function str(obj: Json, ...path: (string | number)[]): string {
  const v = at(obj, ...path);
  return typeof v === 'string' ? v : '';
}

export function optStr(obj: Json, ...path: (string | number)[]): string | undefined {
  const v = at(obj, ...path);
  return typeof v === 'string' ? v : undefined;
}

export function num(obj: Json, ...path: (string | number)[]): number {
  const v = at(obj, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function optNum(obj: Json, ...path: (string | number)[]): number | undefined {
  const v = at(obj, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function optBool(obj: Json, ...path: (string | number)[]): boolean | undefined {
  const v = at(obj, ...path);
  return typeof v === 'boolean' ? v : undefined;
}

export function list(obj: Json, ...path: (string | number)[]): Json[] {
  const v = at(obj, ...path);
  return Array.isArray(v) ? v : [];
}

export function record(obj: Json, ...path: (string | number)[]): Record<string, unknown> | undefined {
  const v = at(obj, ...path);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function stringMap(obj: Json, ...path: (string | number)[]): Record<string, string> {
  const r = record(obj, ...path) ?? {};
  return Object.fromEntries(Object.entries(r).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A resource.Quantity as JSON carries it (string, or a bare number). */
export function quantity(obj: Json, ...path: (string | number)[]): string | undefined {
  const v = at(obj, ...path);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}
