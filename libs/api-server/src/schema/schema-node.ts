// A structural schema node, the shape every consumer (strategic merge patch, server-side apply,
// strict field validation, OpenAPI, explain) reads. Built from the project's schema source.
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  /** map[string]X: the schema of the values; `true` means any value. */
  additionalProperties?: SchemaNode | boolean;
  enum?: unknown[];
  /** Value validations of a CRD's structural schema (upstream's kube-openapi keywords). */
  nullable?: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  /** x-kubernetes-int-or-string */
  intOrString?: boolean;
  /** x-kubernetes-preserve-unknown-fields */
  preserveUnknownFields?: boolean;
  /** x-kubernetes-embedded-resource */
  embeddedResource?: boolean;
  /** x-kubernetes-patch-strategy, e.g. "merge", "retainKeys", "merge,retainKeys", "replace" */
  patchStrategy?: string;
  /** x-kubernetes-patch-merge-key */
  patchMergeKey?: string;
  /** x-kubernetes-list-type */
  listType?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys */
  listMapKeys?: string[];
  /** x-kubernetes-map-type */
  mapType?: 'atomic' | 'granular';
  /** The OpenAPI definition name this node came from, e.g. "io.k8s.api.apps.v1.Deployment". */
  ref?: string;
}
