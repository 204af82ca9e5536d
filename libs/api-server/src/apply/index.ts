export { serverSideApply } from './server-side-apply';
export type { ServerSideApplyInput } from './server-side-apply';
export { updateManagedFields } from './update-managed-fields';
export type { UpdateManagedFieldsInput } from './update-managed-fields';
export { FieldSet } from './field-set';
export type { FieldPath } from './field-path';
export { fieldPathString } from './field-path';
export { fieldSetOf } from './typed-value';
