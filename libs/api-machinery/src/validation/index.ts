export { applyDefaults } from './defaults';
export { validateObject } from './validate-object';
export { defaultImagePullPolicy } from './pod.defaults';
export { admitServerless, findHostAccess } from './serverless.admission';
export { podSpecOf, podTemplatePathOf, type PodSpecLocation } from './pod-spec-accessor';
export {
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  DNS1035_LABEL,
  isDns1123Label,
  isDns1123Subdomain,
  isDns1035Label,
} from './name-rules';
export {
  canonicalQuantity,
  formatQuantity,
  parseQuantity,
  tryParseQuantity,
  withCanonicalQuantities,
  type ParsedQuantity,
  type QuantityFormat,
} from './quantity';
export { generateJobSelector } from './batch.validation';
export { parseCronSchedule, nextCronTime, formatRfc3339InZone, type CronSchedule } from './cron-schedule';
