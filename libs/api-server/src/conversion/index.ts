export * from './built-in.conversion';
export * from './horizontal-pod-autoscaler.conversion';
