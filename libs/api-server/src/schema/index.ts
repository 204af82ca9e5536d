export * from './schema-registry.service';
export * from './unknown-fields.validator';
export { KubernetesSpecLoadError, loadKubernetesDefinitions } from './kubernetes-spec.loader';
export { applyOverlay } from './schema-overlay';
export type { RawDefinitions, RawSchema } from './raw-schema';
export { validateStructural } from './structural-schema.validator';
export { applySchemaDefaults, pruneUnknownFields } from './structural-schema';
export { withCanonicalQuantities } from './canonical-quantities';
