export * from './audit-event';
export * from './audit-policy';
