import { ApiError, decodeKubernetesProtobuf, isJsonObject, JsonObject, KUBERNETES_PROTOBUF } from '@skiff/api-machinery';
import { Readable } from 'node:stream';
import { parseAllDocuments } from 'yaml';

/** kube-apiserver's limit for a request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: Readable, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      req.resume(); // drain the rest so the connection can answer
      throw ApiError.tooLarge(limit);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes a JSON or YAML request body into a JSON value. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  // kubectl's typed clients send protobuf and do not fall back to JSON.
  if (type === KUBERNETES_PROTOBUF) return decodeKubernetesProtobuf(body);
  const text = body.toString('utf8');
  if (text.trim() === '') throw ApiError.badRequest('the request body is empty');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') {
    const docs = parseAllDocuments(text, { uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [docs];
    const errors = list.flatMap((d) => d.errors);
    if (errors.length > 0) throw ApiError.badRequest(`error converting YAML to JSON: ${errors[0].message}`);
    if (list.length !== 1) throw ApiError.badRequest('the request body must hold exactly one YAML document');
    return list[0].toJS({ maxAliasCount: 100 });
  }
  if (
    type === 'application/json' ||
    type === 'application/merge-patch+json' ||
    type === 'application/strategic-merge-patch+json' ||
    type === 'application/json-patch+json' ||
    type === ''
  ) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw ApiError.badRequest(`json: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw ApiError.unsupportedMediaType(type);
}

export function decodeObject(body: Buffer, contentType: string | undefined): JsonObject {
  const value = decodeBody(body, contentType);
  if (!isJsonObject(value)) throw ApiError.badRequest('the request body must be a JSON object');
  return value;
}
