import { ApiError, goJsonSyntaxError, goJsonTypeOf, isJsonObject, JsonObject } from '@skiff/api-machinery';
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF } from '@skiff/api-server';
import { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { recordRequestBody } from '../audit/request-audit';
import { parseAllDocuments } from 'yaml';

/** kube-apiserver's limit for a request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
// Go's decoder follows JSON 10 000 deep; the gateway's patch, validation and storage code recurses and overflows
// the stack somewhere past 1 500 (a 500). Bodies deeper than this get the decoder's "exceeded max depth" 400.
export const MAX_BODY_DEPTH = 512;

export async function readBody(req: Readable, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    // Past the limit the rest is read and dropped, not left: leaving the loop early destroys the request stream, and
    // a keep-alive connection whose request body is left half-read never reads the client's next request.
    if (size <= limit) chunks.push(buf);
  }
  if (size > limit) throw ApiError.tooLarge(limit);
  const body = Buffer.concat(chunks);
  if (req instanceof IncomingMessage) recordRequestBody(req, body);
  return body;
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

const YAML_TYPES = new Set(['application/yaml', 'application/apply-patch+yaml', 'text/yaml']);
const JSON_TYPES = new Set([
  'application/json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  '',
]);
// What Go's encoding/json says when the body is JSON but not an object (the apiserver reads apiVersion/kind into this struct).
const TYPE_META_STRUCT =
  'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

class BodyDecodeError extends Error {}

/** Decodes a JSON or YAML (or Kubernetes protobuf) body; syntax errors are worded as the apiserver's Go decoders word them. */
function decode(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  // kubectl's typed clients send protobuf and do not fall back to JSON.
  if (type === KUBERNETES_PROTOBUF) return decodeKubernetesProtobuf(body);
  if (YAML_TYPES.has(type)) {
    // sigs.k8s.io/yaml reads the first document.
    const docs = parseAllDocuments(body.toString('utf8'), { uniqueKeys: false });
    const doc = Array.isArray(docs) ? docs[0] : undefined;
    const error = doc?.errors[0];
    if (error)
      throw new BodyDecodeError(
        `error converting YAML to JSON: yaml: line ${error.linePos?.[0].line ?? 1}: ${firstSentence(error.message)}`,
      );
    return yamlToJs(doc) ?? null;
  }
  if (!JSON_TYPES.has(type)) throw ApiError.unsupportedMediaType(type);
  const syntax = goJsonSyntaxError(body, MAX_BODY_DEPTH);
  if (syntax) throw new BodyDecodeError(syntax);
  return JSON.parse(body.toString('utf8'));
}

// The yaml package refuses an alias bomb or an alias to no anchor with a ReferenceError; go-yaml's refusals are
// decoding errors (400), worded as here.
function yamlToJs(doc: ReturnType<typeof parseAllDocuments>[number] | undefined): unknown {
  try {
    return doc?.toJS({ maxAliasCount: 100 });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    if (err.message.startsWith('Excessive alias count'))
      throw new BodyDecodeError('error converting YAML to JSON: yaml: document contains excessive aliasing');
    const unresolved = /^Unresolved alias \(the anchor must be set before the alias\): (.*)$/.exec(err.message);
    if (unresolved)
      throw new BodyDecodeError(`error converting YAML to JSON: yaml: unknown anchor '${unresolved[1]}' referenced`);
    throw err;
  }
}

// The yaml package's messages carry a source excerpt after the first line; go-yaml's do not.
function firstSentence(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** A patch or options body: any JSON value; a syntax error is a 400 with the decoder's words. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  try {
    return decode(body, contentType);
  } catch (err) {
    if (err instanceof BodyDecodeError) throw ApiError.badRequest(err.message);
    throw err;
  }
}

/**
 * An object body for a request on `kind`, as kube-apiserver's create/update handlers decode it:
 * what cannot be read as an object of some kind is "the object provided is unrecognized".
 */
export function decodeObject(body: Buffer, contentType: string | undefined, kind: string): JsonObject {
  let value: unknown;
  try {
    value = decode(body, contentType);
  } catch (err) {
    if (!(err instanceof BodyDecodeError)) throw err;
    const prefix = YAML_TYPES.has(mediaType(contentType)) ? '' : "couldn't get version/kind; json parse error: ";
    throw unrecognized(kind, `${prefix}${err.message}`, body);
  }
  if (value === null) return {};
  if (!isJsonObject(value))
    throw unrecognized(
      kind,
      `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonTypeOf(value)} into Go value of type ${TYPE_META_STRUCT}`,
      body,
    );
  return value;
}

function unrecognized(kind: string, reason: string, body: Buffer): ApiError {
  return ApiError.badRequest(
    `the object provided is unrecognized (must be of type ${kind}): ${reason} (${summarize(body)})`,
  );
}

// apiserver's summarizeData: JSON-looking bodies as text, others as hex, 30 bytes at most.
function summarize(body: Buffer): string {
  if (body.length === 0) return '<empty>';
  const head = body.subarray(0, 30);
  const text = body[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return body.length > 30 ? `${text} ...` : text;
}
