export * from './openapi-documents.service';
export { buildOpenApiV3Document, groupVersionPath } from './openapi-v3.builder';
export type { OpenApiDocument } from './openapi-v3.builder';
export {
  buildOpenApiV2Document,
  negotiateOpenApiV2,
  OPENAPI_V2_PROTOBUF,
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
} from './openapi-v2.builder';
export type { OpenApiV2Format } from './openapi-v2.builder';
export { encodeOpenApiV2Protobuf, OpenApiV2EncodingError } from './openapi-v2-protobuf.encoder';
