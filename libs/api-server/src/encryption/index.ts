export * from './encryption-config';
export * from './storage-transformer';
