export * from './ipv4-cidr';
export * from './service-port.plan';
export * from './service-rules';
