import { Provider } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { AuditPolicy, AuditPolicyError, DEFAULT_AUDIT_POLICY, parseAuditPolicy } from '@skiff/api-server';
import { ApiGatewayConfig, ConfigError } from '@skiff/config';
import { readFileSync } from 'node:fs';
import { AuditLogWriter } from './audit-log.writer';
import { AUDIT_BACKEND, AuditBackend } from './audit.service';

// Events waiting for a slow disk before new ones are dropped (and counted in the gateway's log).
const MAX_BUFFERED_EVENTS = 10_000;

/** The audit policy and log from the config, read while the module is built: a bad policy file stops the gateway at boot. */
export function auditBackendProvider(config: ApiGatewayConfig): Provider {
  const { audit } = config;
  const backend: AuditBackend = {
    policy: audit.policyFile ? readPolicy(audit.policyFile) : DEFAULT_AUDIT_POLICY,
    ...(audit.path
      ? {
          writer: new AuditLogWriter({
            file: audit.path,
            maxSizeBytes: audit.maxSizeMb * 1024 * 1024,
            maxBackups: audit.maxBackups,
            maxBuffered: MAX_BUFFERED_EVENTS,
          }),
        }
      : {}),
  };
  return { provide: AUDIT_BACKEND, useValue: backend };
}

function readPolicy(file: string): AuditPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('SKIFF_AUDIT_POLICY_FILE', `cannot read ${file}: ${errorMessage(err)}`);
  }
  try {
    return parseAuditPolicy(text);
  } catch (err) {
    if (err instanceof AuditPolicyError) throw new ConfigError('SKIFF_AUDIT_POLICY_FILE', `${file}: ${err.message}`);
    throw err;
  }
}
