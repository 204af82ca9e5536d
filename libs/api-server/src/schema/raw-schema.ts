// The OpenAPI schema objects as they come out of JSON: narrowed by hand, never trusted.
export type RawSchema = Record<string, unknown>;
export type RawDefinitions = Record<string, RawSchema>;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(raw: RawSchema, key: string): string | undefined {
  const v = raw[key];
  return typeof v === 'string' ? v : undefined;
}

export function stringArrayField(raw: RawSchema, key: string): string[] | undefined {
  const v = raw[key];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/** The definition name a `$ref` points to, for v2 (`#/definitions/`) and v3 (`#/components/schemas/`) refs. */
export function refName(ref: string): string {
  const slash = ref.lastIndexOf('/');
  return slash >= 0 ? ref.slice(slash + 1) : ref;
}
