import { errorDetail } from '@skiff/api-machinery';
import { ConfigError } from './config-error';

/** Ends a service that could not start: a config error by its message, anything else with its stack. */
export function exitOnBootFailure(service: string, err: unknown): never {
  console.error(err instanceof ConfigError ? err.message : `${service} failed to start: ${errorDetail(err)}`);
  process.exit(1);
}
