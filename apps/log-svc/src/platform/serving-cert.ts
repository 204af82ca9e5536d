import { issueServingCert, LogSvcConfig } from '@skiff/config';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The query endpoint's serving certificate: the one given (SKIFF_LOG_SVC_TLS_CERT and _KEY), or one issued once by
 * the cluster CA (its key beside SKIFF_CA_FILE) for loopback and the advertised host, as a sandbox agent gets its own.
 */
export function servingCertOf(config: LogSvcConfig): { cert: Buffer; key: Buffer } {
  if (config.tls) return { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
  const sans = [...new Set(['127.0.0.1', 'localhost', config.advertiseHost])];
  const issued = issueServingCert({
    caFile: config.caFile,
    caKeyFile: path.join(path.dirname(config.caFile), 'ca.key'),
    outDir: path.join(config.stateDir, 'pki'),
    // One per advertised host: replicas sharing a state directory each get a certificate for their own.
    name: `log-svc-${config.advertiseHost.replace(/[^A-Za-z0-9.-]/g, '-')}`,
    sans,
  });
  return { cert: readFileSync(issued.certFile), key: readFileSync(issued.keyFile) };
}
