import { bool, f64, FieldDef, i64, list, MessageDef, msg, req, str } from './message-def';

// The gnostic OpenAPI v2 messages (package openapi.v2, github.com/google/gnostic-models
// openapiv2/OpenAPIv2.proto, proto3) that kube-apiserver's /openapi/v2 protobuf is made of, as far
// as a Kubernetes swagger document uses them. Field numbers are gnostic's; names are the proto
// field names in lowerCamelCase (`_ref` is `xRef`, as Go's XRef). Messages are mutable records so
// that the recursive ones (Schema, PrimitivesItems) can refer to themselves.

type Table = Record<number, FieldDef>;

/** A value gnostic keeps as YAML text (vendor extensions, enum, default, example). `value` (1, a google.protobuf.Any) is never set. */
export const Any: MessageDef = { 2: ['yaml', str] };

export const NamedAny: MessageDef = { 1: ['name', str], 2: ['value', msg(Any)] };

const vendorExtension = list(msg(NamedAny));

export const ExternalDocs: MessageDef = {
  1: ['description', str],
  2: ['url', str],
  3: ['vendorExtension', vendorExtension],
};

export const Contact: MessageDef = {
  1: ['name', str],
  2: ['url', str],
  3: ['email', str],
  4: ['vendorExtension', vendorExtension],
};

export const License: MessageDef = { 1: ['name', str], 2: ['url', str], 3: ['vendorExtension', vendorExtension] };

export const Info: MessageDef = {
  1: ['title', str],
  2: ['version', str],
  3: ['description', str],
  4: ['termsOfService', str],
  5: ['contact', msg(Contact)],
  6: ['license', msg(License)],
  7: ['vendorExtension', vendorExtension],
};

export const Xml: MessageDef = {
  1: ['name', str],
  2: ['namespace', str],
  3: ['prefix', str],
  4: ['attribute', bool],
  5: ['wrapped', bool],
  6: ['vendorExtension', vendorExtension],
};

export const TypeItem: MessageDef = { 1: ['value', list(str)] };

export const Schema: Table = {};
export const ItemsItem: MessageDef = { 1: ['schema', list(msg(Schema))] };
export const NamedSchema: MessageDef = { 1: ['name', str], 2: ['value', msg(Schema)] };
export const Properties: MessageDef = { 1: ['additionalProperties', list(msg(NamedSchema))] };
/** oneof: `schema` (1) or `boolean` (2); a set boolean is written even when false. */
export const AdditionalPropertiesItem: MessageDef = { 1: ['schema', msg(Schema)], 2: ['boolean', req(bool)] };

Object.assign(Schema, {
  1: ['xRef', str],
  2: ['format', str],
  3: ['title', str],
  4: ['description', str],
  5: ['default', msg(Any)],
  6: ['multipleOf', f64],
  7: ['maximum', f64],
  8: ['exclusiveMaximum', bool],
  9: ['minimum', f64],
  10: ['exclusiveMinimum', bool],
  11: ['maxLength', i64],
  12: ['minLength', i64],
  13: ['pattern', str],
  14: ['maxItems', i64],
  15: ['minItems', i64],
  16: ['uniqueItems', bool],
  17: ['maxProperties', i64],
  18: ['minProperties', i64],
  19: ['required', list(str)],
  20: ['enum', list(msg(Any))],
  21: ['additionalProperties', msg(AdditionalPropertiesItem)],
  22: ['type', msg(TypeItem)],
  23: ['items', msg(ItemsItem)],
  24: ['allOf', list(msg(Schema))],
  25: ['properties', msg(Properties)],
  26: ['discriminator', str],
  27: ['readOnly', bool],
  28: ['xml', msg(Xml)],
  29: ['externalDocs', msg(ExternalDocs)],
  30: ['example', msg(Any)],
  31: ['vendorExtension', vendorExtension],
} satisfies Table);

export const Definitions: MessageDef = { 1: ['additionalProperties', list(msg(NamedSchema))] };

export const FileSchema: MessageDef = {
  1: ['format', str],
  2: ['title', str],
  3: ['description', str],
  4: ['default', msg(Any)],
  5: ['required', list(str)],
  6: ['type', str],
  7: ['readOnly', bool],
  8: ['externalDocs', msg(ExternalDocs)],
  9: ['example', msg(Any)],
  10: ['vendorExtension', vendorExtension],
};

/** oneof: `schema` (1) or `fileSchema` (2). */
export const SchemaItem: MessageDef = { 1: ['schema', msg(Schema)], 2: ['fileSchema', msg(FileSchema)] };

export const JsonReference: MessageDef = { 1: ['xRef', str], 2: ['description', str] };

export const BodyParameter: MessageDef = {
  1: ['description', str],
  2: ['name', str],
  3: ['in', str],
  4: ['required', bool],
  5: ['schema', msg(Schema)],
  6: ['vendorExtension', vendorExtension],
};

// The items of a non-body array parameter.
export const PrimitivesItems: Table = {};
Object.assign(PrimitivesItems, {
  1: ['type', str],
  2: ['format', str],
  3: ['items', msg(PrimitivesItems)],
  4: ['collectionFormat', str],
  5: ['default', msg(Any)],
  6: ['maximum', f64],
  7: ['exclusiveMaximum', bool],
  8: ['minimum', f64],
  9: ['exclusiveMinimum', bool],
  10: ['maxLength', i64],
  11: ['minLength', i64],
  12: ['pattern', str],
  13: ['maxItems', i64],
  14: ['minItems', i64],
  15: ['uniqueItems', bool],
  16: ['enum', list(msg(Any))],
  17: ['multipleOf', f64],
  18: ['vendorExtension', vendorExtension],
} satisfies Table);

// Header and path parameters share one layout (no allowEmptyValue) ...
const headerOrPathParameter: MessageDef = {
  1: ['required', bool],
  2: ['in', str],
  3: ['description', str],
  4: ['name', str],
  5: ['type', str],
  6: ['format', str],
  7: ['items', msg(PrimitivesItems)],
  8: ['collectionFormat', str],
  9: ['default', msg(Any)],
  10: ['maximum', f64],
  11: ['exclusiveMaximum', bool],
  12: ['minimum', f64],
  13: ['exclusiveMinimum', bool],
  14: ['maxLength', i64],
  15: ['minLength', i64],
  16: ['pattern', str],
  17: ['maxItems', i64],
  18: ['minItems', i64],
  19: ['uniqueItems', bool],
  20: ['enum', list(msg(Any))],
  21: ['multipleOf', f64],
  22: ['vendorExtension', vendorExtension],
};
// ... and query and formData parameters another (allowEmptyValue at 5 shifts the rest by one).
const queryOrFormDataParameter: MessageDef = {
  1: ['required', bool],
  2: ['in', str],
  3: ['description', str],
  4: ['name', str],
  5: ['allowEmptyValue', bool],
  6: ['type', str],
  7: ['format', str],
  8: ['items', msg(PrimitivesItems)],
  9: ['collectionFormat', str],
  10: ['default', msg(Any)],
  11: ['maximum', f64],
  12: ['exclusiveMaximum', bool],
  13: ['minimum', f64],
  14: ['exclusiveMinimum', bool],
  15: ['maxLength', i64],
  16: ['minLength', i64],
  17: ['pattern', str],
  18: ['maxItems', i64],
  19: ['minItems', i64],
  20: ['uniqueItems', bool],
  21: ['enum', list(msg(Any))],
  22: ['multipleOf', f64],
  23: ['vendorExtension', vendorExtension],
};
export const HeaderParameterSubSchema = headerOrPathParameter;
export const PathParameterSubSchema = headerOrPathParameter;
export const QueryParameterSubSchema = queryOrFormDataParameter;
export const FormDataParameterSubSchema = queryOrFormDataParameter;

/** oneof by `in`: header (1), formData (2), query (3), path (4). */
export const NonBodyParameter: MessageDef = {
  1: ['headerParameterSubSchema', msg(HeaderParameterSubSchema)],
  2: ['formDataParameterSubSchema', msg(FormDataParameterSubSchema)],
  3: ['queryParameterSubSchema', msg(QueryParameterSubSchema)],
  4: ['pathParameterSubSchema', msg(PathParameterSubSchema)],
};

/** oneof: `bodyParameter` (1) or `nonBodyParameter` (2). */
export const Parameter: MessageDef = {
  1: ['bodyParameter', msg(BodyParameter)],
  2: ['nonBodyParameter', msg(NonBodyParameter)],
};

/** oneof: `parameter` (1) or `jsonReference` (2). */
export const ParametersItem: MessageDef = {
  1: ['parameter', msg(Parameter)],
  2: ['jsonReference', msg(JsonReference)],
};

export const Response: MessageDef = {
  1: ['description', str],
  2: ['schema', msg(SchemaItem)],
  5: ['vendorExtension', vendorExtension],
};

/** oneof: `response` (1) or `jsonReference` (2). */
export const ResponseValue: MessageDef = { 1: ['response', msg(Response)], 2: ['jsonReference', msg(JsonReference)] };

export const NamedResponseValue: MessageDef = { 1: ['name', str], 2: ['value', msg(ResponseValue)] };

export const Responses: MessageDef = {
  1: ['responseCode', list(msg(NamedResponseValue))],
  2: ['vendorExtension', vendorExtension],
};

export const StringArray: MessageDef = { 1: ['value', list(str)] };
export const NamedStringArray: MessageDef = { 1: ['name', str], 2: ['value', msg(StringArray)] };
export const SecurityRequirement: MessageDef = { 1: ['additionalProperties', list(msg(NamedStringArray))] };

export const Operation: MessageDef = {
  1: ['tags', list(str)],
  2: ['summary', str],
  3: ['description', str],
  4: ['externalDocs', msg(ExternalDocs)],
  5: ['operationId', str],
  6: ['produces', list(str)],
  7: ['consumes', list(str)],
  8: ['parameters', list(msg(ParametersItem))],
  9: ['responses', msg(Responses)],
  10: ['schemes', list(str)],
  11: ['deprecated', bool],
  12: ['security', list(msg(SecurityRequirement))],
  13: ['vendorExtension', vendorExtension],
};

export const PathItem: MessageDef = {
  1: ['xRef', str],
  2: ['get', msg(Operation)],
  3: ['put', msg(Operation)],
  4: ['post', msg(Operation)],
  5: ['delete', msg(Operation)],
  6: ['options', msg(Operation)],
  7: ['head', msg(Operation)],
  8: ['patch', msg(Operation)],
  9: ['parameters', list(msg(ParametersItem))],
  10: ['vendorExtension', vendorExtension],
};

export const NamedPathItem: MessageDef = { 1: ['name', str], 2: ['value', msg(PathItem)] };

/** Note the order: vendor extensions are 1, paths 2. */
export const Paths: MessageDef = { 1: ['vendorExtension', vendorExtension], 2: ['path', list(msg(NamedPathItem))] };

export const ApiKeySecurity: MessageDef = {
  1: ['type', str],
  2: ['name', str],
  3: ['in', str],
  4: ['description', str],
  5: ['vendorExtension', vendorExtension],
};

export const BasicAuthenticationSecurity: MessageDef = {
  1: ['type', str],
  2: ['description', str],
  3: ['vendorExtension', vendorExtension],
};

/** oneof: `basicAuthenticationSecurity` (1) or `apiKeySecurity` (2); the OAuth2 flows (3-6) are not used by Kubernetes. */
export const SecurityDefinitionsItem: MessageDef = {
  1: ['basicAuthenticationSecurity', msg(BasicAuthenticationSecurity)],
  2: ['apiKeySecurity', msg(ApiKeySecurity)],
};

export const NamedSecurityDefinitionsItem: MessageDef = {
  1: ['name', str],
  2: ['value', msg(SecurityDefinitionsItem)],
};
export const SecurityDefinitions: MessageDef = { 1: ['additionalProperties', list(msg(NamedSecurityDefinitionsItem))] };

export const Tag: MessageDef = {
  1: ['name', str],
  2: ['description', str],
  3: ['externalDocs', msg(ExternalDocs)],
  4: ['vendorExtension', vendorExtension],
};

/** openapi.v2.Document; `parameters` (10) and `responses` (11), shared definitions Kubernetes does not publish, are left out. */
export const Document: MessageDef = {
  1: ['swagger', str],
  2: ['info', msg(Info)],
  3: ['host', str],
  4: ['basePath', str],
  5: ['schemes', list(str)],
  6: ['consumes', list(str)],
  7: ['produces', list(str)],
  8: ['paths', msg(Paths)],
  9: ['definitions', msg(Definitions)],
  12: ['security', list(msg(SecurityRequirement))],
  13: ['securityDefinitions', msg(SecurityDefinitions)],
  14: ['tags', list(msg(Tag))],
  15: ['externalDocs', msg(ExternalDocs)],
  16: ['vendorExtension', vendorExtension],
};
