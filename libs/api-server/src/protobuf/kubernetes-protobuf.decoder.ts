import { ApiError } from '@skiff/api-machinery';
import { messageDefFor } from './kind-registry';
import { decodeMessage, JsonObject } from './message.decoder';
import { ProtoReader, ProtoWireError, WireType } from './proto-reader';

export const KUBERNETES_PROTOBUF = 'application/vnd.kubernetes.protobuf';

// "k8s\0": the magic prefix of k8s.io/apimachinery/pkg/runtime/serializer/protobuf.
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface UnknownEnvelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

// runtime.Unknown {1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}.
function readEnvelope(data: Uint8Array): UnknownEnvelope {
  const env: UnknownEnvelope = { apiVersion: '', kind: '', raw: new Uint8Array(0) };
  const r = new ProtoReader(data);
  while (!r.done) {
    const { fieldNumber, wireType } = r.readTag();
    if (fieldNumber === 1 && wireType === WireType.LengthDelimited) {
      const tm = new ProtoReader(r.readBytes());
      while (!tm.done) {
        const t = tm.readTag();
        if (t.fieldNumber === 1 && t.wireType === WireType.LengthDelimited) env.apiVersion = tm.readString();
        else if (t.fieldNumber === 2 && t.wireType === WireType.LengthDelimited) env.kind = tm.readString();
        else tm.skip(t.wireType, t.fieldNumber);
      }
    } else if (fieldNumber === 2 && wireType === WireType.LengthDelimited) {
      env.raw = r.readBytes();
    } else {
      r.skip(wireType, fieldNumber);
    }
  }
  return env;
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the JSON object a client
 * would have sent as `application/json`, with `apiVersion` and `kind` taken from the envelope.
 */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw ApiError.badRequest('empty protobuf body');
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw ApiError.badRequest('provided data does not appear to be a protobuf message, expected prefix "k8s\\x00"');
  }
  try {
    const { apiVersion, kind, raw } = readEnvelope(body.subarray(MAGIC.length));
    if (!kind) throw ApiError.badRequest("Object 'Kind' is missing in protobuf body");
    if (!apiVersion) throw ApiError.badRequest("Object 'apiVersion' is missing in protobuf body");
    const def = messageDefFor(apiVersion, kind);
    if (!def)
      throw ApiError.badRequest(
        `no kind "${kind}" is registered for version "${apiVersion}" in scheme "skiff protobuf decoder"`,
      );
    const object: JsonObject = { apiVersion, kind };
    return Object.assign(object, decodeMessage(raw, def));
  } catch (err) {
    if (err instanceof ProtoWireError) throw ApiError.badRequest(`unable to decode protobuf body: ${err.message}`);
    throw err;
  }
}
