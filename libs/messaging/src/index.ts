export * from './change-events';
export * from './changes-stream';
export * from './ipam';
export * from './sandbox-hosts';
export * from './cluster-ips';
export * from './storage-contracts';
export * from './log-records';
export * from './nats-connection';
