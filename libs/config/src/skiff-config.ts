import * as path from 'node:path';
import { ConfigError } from './config-error';
import { EnvReader } from './env-reader';

export interface InfraConfig {
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
}

export interface ApiGatewayConfig extends InfraConfig {
  host: string;
  port: number;
  stateDir: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  adminTokenFile: string;
  /** Change events kept in memory per gateway for watch resumption. */
  watchWindow: number;
  /** Change events the JetStream stream retains. */
  streamMaxMsgs: number;
  /** Outbox history kept in Postgres, in change events. */
  historyKeep: number;
  logFormat: 'json' | 'text';
  /** Names this cluster's NATS subjects and streams (clusters may share a NATS server). */
  natsPrefix: string;
}

export function loadInfraConfig(env = new EnvReader()): InfraConfig {
  return {
    databaseUrl: env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/skiff', ['postgres:', 'postgresql:']),
    natsUrl: env.url('NATS_URL', 'nats://127.0.0.1:4222', ['nats:', 'tls:']),
    redisUrl: env.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  };
}

export function loadApiGatewayConfig(env = new EnvReader()): ApiGatewayConfig {
  const stateDir = path.resolve(env.string('SKIFF_STATE_DIR', '.skiff'));
  const logFormat = env.string('SKIFF_LOG_FORMAT', 'json');
  return {
    ...loadInfraConfig(env),
    host: env.string('SKIFF_API_HOST', '127.0.0.1'),
    port: env.int('SKIFF_API_PORT', 6443, 0, 65535),
    stateDir,
    tlsCertFile: env.string('SKIFF_TLS_CERT', path.join(stateDir, 'pki', 'apiserver.crt')),
    tlsKeyFile: env.string('SKIFF_TLS_KEY', path.join(stateDir, 'pki', 'apiserver.key')),
    adminTokenFile: env.string('SKIFF_ADMIN_TOKEN_FILE', path.join(stateDir, 'admin.token')),
    watchWindow: env.int('SKIFF_WATCH_WINDOW', 20000, 100),
    streamMaxMsgs: env.int('SKIFF_STREAM_MAX_MSGS', 200000, 1000),
    historyKeep: env.int('SKIFF_HISTORY_KEEP', 100000, 1000),
    logFormat: logFormat === 'text' ? 'text' : 'json',
    natsPrefix: natsPrefixOf(env),
  };
}

function natsPrefixOf(env: EnvReader): string {
  const prefix = env.string('SKIFF_NATS_PREFIX', 'skiff');
  if (!/^[a-z][a-z0-9]{0,30}$/.test(prefix)) throw new ConfigError('SKIFF_NATS_PREFIX', `must be lowercase letters and digits, got "${prefix}"`);
  return prefix;
}
