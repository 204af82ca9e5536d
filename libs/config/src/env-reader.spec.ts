import { ConfigError } from './config-error';
import { EnvReader } from './env-reader';
import { loadSandboxAgentConfig } from './sandbox-agent-config';
import { loadApiGatewayConfig } from './skiff-config';

describe(EnvReader.name, () => {
  it('falls back to loopback defaults', () => {
    const cfg = loadApiGatewayConfig(new EnvReader({}));
    expect(cfg.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/skiff');
    expect(cfg.natsUrl).toBe('nats://127.0.0.1:4222');
    expect(cfg.port).toBe(6443);
  });

  it('keeps the encryption key file and the audit log in the state directory unless told otherwise', () => {
    const cfg = loadApiGatewayConfig(new EnvReader({ SKIFF_STATE_DIR: '/var/lib/skiff-x' }));
    expect(cfg.encryptionConfigFile).toBe('/var/lib/skiff-x/encryption-config.yaml');
    expect(cfg.audit).toEqual({ path: '/var/lib/skiff-x/audit/audit.log', maxSizeMb: 100, maxBackups: 10 });
    const off = loadApiGatewayConfig(
      new EnvReader({ SKIFF_AUDIT_LOG_PATH: 'off', SKIFF_AUDIT_POLICY_FILE: '/p.yaml' }),
    );
    expect(off.audit).toMatchObject({ path: '', policyFile: '/p.yaml' });
    expect(() => loadApiGatewayConfig(new EnvReader({ SKIFF_AUDIT_LOG_MAXSIZE: '0' }))).toThrow(
      new ConfigError('SKIFF_AUDIT_LOG_MAXSIZE', 'must be between 1 and 9007199254740991, got 0'),
    );
  });

  it('names the variable when a value is malformed', () => {
    expect(() => loadApiGatewayConfig(new EnvReader({ SKIFF_API_PORT: 'eighty' }))).toThrow(
      new ConfigError('SKIFF_API_PORT', 'expected an integer, got "eighty"'),
    );
    expect(() => loadApiGatewayConfig(new EnvReader({ DATABASE_URL: 'mysql://x' }))).toThrow(/DATABASE_URL/);
  });

  it('selects the NAS backend of a sandbox host: directories by default, real NFS mounts on request', () => {
    expect(loadSandboxAgentConfig(new EnvReader({})).nasBackend).toBe('directory');
    expect(loadSandboxAgentConfig(new EnvReader({ SKIFF_NAS_BACKEND: 'nfs' })).nasBackend).toBe('nfs');
    expect(() => loadSandboxAgentConfig(new EnvReader({ SKIFF_NAS_BACKEND: 'cifs' }))).toThrow(
      new ConfigError('SKIFF_NAS_BACKEND', 'must be "directory" or "nfs", got "cifs"'),
    );
  });

  it('reads the metrics resolution of a sandbox host: 15 s by default, 1..60 accepted', () => {
    expect(loadSandboxAgentConfig(new EnvReader({})).metricsResolutionSeconds).toBe(15);
    expect(
      loadSandboxAgentConfig(new EnvReader({ SKIFF_METRICS_RESOLUTION_SECONDS: '1' })).metricsResolutionSeconds,
    ).toBe(1);
    expect(() => loadSandboxAgentConfig(new EnvReader({ SKIFF_METRICS_RESOLUTION_SECONDS: '61' }))).toThrow(
      new ConfigError('SKIFF_METRICS_RESOLUTION_SECONDS', 'must be between 1 and 60, got 61'),
    );
  });
});
