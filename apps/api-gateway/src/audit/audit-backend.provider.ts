import { Provider } from '@nestjs/common';
import { AuditPolicyError, DEFAULT_AUDIT_POLICY, parseAuditPolicy } from '@skiff/api-server';
import { ApiGatewayConfig } from '@skiff/config';
import { readConfigFile } from '../platform/config-file';
import { AuditLogWriter } from './audit-log.writer';
import { AUDIT_BACKEND, AuditBackend } from './audit.service';

// Events waiting for a slow disk before new ones are dropped (and counted in the gateway's log).
const MAX_BUFFERED_EVENTS = 10_000;

/** The audit policy and log from the config, read while the module is built: a bad policy file stops the gateway at boot. */
export function auditBackendProvider(config: ApiGatewayConfig): Provider {
  const { audit } = config;
  const backend: AuditBackend = {
    policy: audit.policyFile
      ? readConfigFile('SKIFF_AUDIT_POLICY_FILE', audit.policyFile, parseAuditPolicy, AuditPolicyError)
      : DEFAULT_AUDIT_POLICY,
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
