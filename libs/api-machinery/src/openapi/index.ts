export * from './openapi-documents.service';
export { buildOpenApiV3Document, groupVersionPath } from './openapi-v3.builder';
export type { OpenApiDocument } from './openapi-v3.builder';
export { buildOpenApiV2Document, negotiateOpenApiV2, OPENAPI_V2_PROTOBUF } from './openapi-v2.builder';
