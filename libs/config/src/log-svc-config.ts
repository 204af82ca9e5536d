import * as path from 'node:path';
import { ConfigError } from './config-error';
import { EnvReader } from './env-reader';
import { loadInfraConfig, natsPrefixOf } from './skiff-config';

export interface LogSvcConfig {
  databaseUrl: string;
  natsUrl: string;
  /** Names the log stream and its subjects (`logStreamNames`). */
  natsPrefix: string;
  logFormat: 'json' | 'text';
  /** This replica's identity in the leader-election Lease of log-svc's controllers and in its endpoint Lease. */
  identity: string;
  /** The query endpoint the API server proxies to (SKIFF_LOG_SVC_HOST, SKIFF_LOG_SVC_PORT; port 0 takes a free one). */
  listenHost: string;
  port: number;
  /**
   * The host the API server dials (SKIFF_LOG_SVC_ADVERTISE_ADDRESS, default the listen host, or 127.0.0.1 when that
   * is a wildcard); advertised with the bound port and put in the serving certificate.
   */
  advertiseHost: string;
  /** A serving certificate given to the endpoint (SKIFF_LOG_SVC_TLS_CERT and _KEY); else one is issued by the cluster CA. */
  tls?: { certFile: string; keyFile: string };
  /** The cluster CA (SKIFF_CA_FILE): its key, beside it, issues the endpoint's certificate. */
  caFile: string;
  /** Where an issued certificate is kept (SKIFF_STATE_DIR/pki). */
  stateDir: string;
  /** The log stream's size limit (SKIFF_LOG_STREAM_BYTES): past it agents spool batches on their disk. */
  streamMaxBytes: number;
  /** How often the leader drops expired records and makes partitions ahead (SKIFF_LOG_RETENTION_INTERVAL_SECONDS). */
  retentionIntervalMs: number;
}

export function loadLogSvcConfig(env = new EnvReader()): LogSvcConfig {
  const { databaseUrl, natsUrl } = loadInfraConfig(env);
  const stateDir = path.resolve(env.string('SKIFF_STATE_DIR', '.skiff'));
  const listenHost = hostOf(env, 'SKIFF_LOG_SVC_HOST', '127.0.0.1');
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  const certFile = env.optional('SKIFF_LOG_SVC_TLS_CERT');
  const keyFile = env.optional('SKIFF_LOG_SVC_TLS_KEY');
  if (Boolean(certFile) !== Boolean(keyFile))
    throw new ConfigError(certFile ? 'SKIFF_LOG_SVC_TLS_KEY' : 'SKIFF_LOG_SVC_TLS_CERT', 'give both or neither');
  return {
    databaseUrl,
    natsUrl,
    natsPrefix: natsPrefixOf(env),
    logFormat: env.string('SKIFF_LOG_FORMAT', 'json') === 'text' ? 'text' : 'json',
    identity: env.string('SKIFF_LOG_SVC_IDENTITY', `log-svc-${process.pid}`),
    listenHost,
    port: env.int('SKIFF_LOG_SVC_PORT', 10260, 0, 65535),
    advertiseHost: hostOf(env, 'SKIFF_LOG_SVC_ADVERTISE_ADDRESS', wildcard ? '127.0.0.1' : listenHost),
    ...(certFile && keyFile ? { tls: { certFile, keyFile } } : {}),
    caFile: env.string('SKIFF_CA_FILE', path.join(stateDir, 'pki', 'ca.crt')),
    stateDir,
    streamMaxBytes: logStreamMaxBytesOf(env),
    retentionIntervalMs: env.int('SKIFF_LOG_RETENTION_INTERVAL_SECONDS', 600, 1) * 1000,
  };
}

/** SKIFF_LOG_STREAM_BYTES (default 1 GiB): whoever creates the log stream first (an agent or log-svc) sizes it. */
export function logStreamMaxBytesOf(env = new EnvReader()): number {
  return env.int('SKIFF_LOG_STREAM_BYTES', 1024 * 1024 * 1024, 1024 * 1024);
}

function hostOf(env: EnvReader, name: string, fallback: string): string {
  const value = env.string(name, fallback);
  if (!/^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$/.test(value) && value !== '::')
    throw new ConfigError(name, `must be a host name or IP address, got "${value}"`);
  return value;
}
