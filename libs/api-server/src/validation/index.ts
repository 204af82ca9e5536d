export { applyDefaults } from './defaults';
export { validateObject } from './validate-object';
export { admitServerless, findHostAccess } from './serverless.admission';
export { podSpecOf, podTemplatePathOf, type PodSpecLocation } from './pod-spec-accessor';
export { generateJobSelector } from './batch.validation';
export { validateAccessReview, type AccessReviewKind } from './authorization.validation';
