import { parse } from 'yaml';

/** Turns a problem found in a config file into the caller's error type. */
export type ConfigProblem = (message: string) => Error;

/** A config file's document (YAML or JSON) of `kind` in one of `apiVersions` (the first is named when it is not). */
export function configDocument(
  text: string,
  apiVersions: string[],
  kind: string,
  fail: ConfigProblem,
): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw fail(`not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const root = recordAt(doc, 'the file', fail);
  if (root.kind !== kind || !apiVersions.includes(root.apiVersion as string))
    throw fail(`expected apiVersion ${apiVersions[0]}, kind ${kind}`);
  return root;
}

export function recordAt(v: unknown, at: string, fail: ConfigProblem): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw fail(`${at}: must be an object`);
  return v as Record<string, unknown>;
}

export function listAt(v: unknown, at: string, fail: ConfigProblem): unknown[] {
  if (!Array.isArray(v)) throw fail(`${at}: must be a list`);
  return v;
}
