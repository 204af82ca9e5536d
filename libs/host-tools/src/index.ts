export * from './process-runner';
export * from './host-command';
export * from './nftables';
