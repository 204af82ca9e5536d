import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface ClusterCredentials {
  caFile: string;
  certFile: string;
  keyFile: string;
  tokenFile: string;
  /** The ServiceAccount token signing key (P-256, PEM); its public half is served as the issuer's JWKS. */
  serviceAccountKeyFile: string;
  /** The EncryptionConfiguration (key file) for Secrets at rest. */
  encryptionConfigFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Creates, once, the cluster CA, the API server's serving certificate (for localhost,
 * 127.0.0.1 and ::1 plus `extraNames`), the ServiceAccount signing key and the admin bearer token under `stateDir`.
 */
export function ensureClusterCredentials(stateDir: string, extraNames: string[] = []): ClusterCredentials {
  const pki = path.join(stateDir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const creds: ClusterCredentials = {
    caFile: path.join(pki, 'ca.crt'),
    certFile: path.join(pki, 'apiserver.crt'),
    keyFile: path.join(pki, 'apiserver.key'),
    tokenFile: path.join(stateDir, 'admin.token'),
    serviceAccountKeyFile: path.join(pki, 'sa.key'),
    encryptionConfigFile: path.join(stateDir, ENCRYPTION_CONFIG_FILE),
  };
  if (!existsSync(creds.caFile)) {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '3650',
        '-subj',
        '/CN=skiff-ca',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      pki,
    );
  }
  if (!existsSync(creds.certFile)) {
    const sans = [
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      // default/kubernetes' ClusterIP (the first address of the default service CIDR).
      'IP:10.96.0.1',
      'IP:127.0.0.1',
      'IP:::1',
      ...extraNames.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)),
    ];
    writeFileSync(
      path.join(pki, 'apiserver.ext'),
      `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
    );
    openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=kube-apiserver',
        '-keyout',
        'apiserver.key',
        '-out',
        'apiserver.csr',
      ],
      pki,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'apiserver.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '825',
        '-extfile',
        'apiserver.ext',
        '-out',
        'apiserver.crt',
      ],
      pki,
    );
  }
  if (!existsSync(creds.serviceAccountKeyFile)) {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sa.key'], pki);
  }
  for (const component of COMPONENTS) {
    issueClientCert({
      caFile: creds.caFile,
      caKeyFile: path.join(pki, 'ca.key'),
      outDir: pki,
      name: `${component}-client`,
      ...COMPONENT_IDENTITIES[component],
    });
  }
  if (!existsSync(creds.tokenFile)) {
    writeFileSync(creds.tokenFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  }
  if (!existsSync(creds.encryptionConfigFile)) writeEncryptionConfig(creds.encryptionConfigFile);
  return creds;
}

/**
 * Who each control-plane service is to the API server (and the API server to the agents and log-svc): a client
 * certificate with this user (CN) and groups (O), bound by the bootstrap RBAC policy to what the service needs.
 */
export const COMPONENT_IDENTITIES = {
  'api-gateway': { user: 'system:skiff:api-gateway', groups: [] },
  scheduler: { user: 'system:skiff:scheduler', groups: [] },
  'network-svc': { user: 'system:skiff:network-svc', groups: [] },
  'storage-svc': { user: 'system:skiff:storage-svc', groups: [] },
  'log-svc': { user: 'system:skiff:log-svc', groups: [] },
  // The catalog's Helm actions (run by the scheduler): a chart may hold any kind, as Flux's helm-controller does.
  'helm-controller': { user: 'system:skiff:helm-controller', groups: [] },
} satisfies Record<string, { user: string; groups: string[] }>;

export type ComponentName = keyof typeof COMPONENT_IDENTITIES;

const COMPONENTS = Object.keys(COMPONENT_IDENTITIES) as ComponentName[];

/** A control-plane service's client certificate, issued beside the CA by ensureClusterCredentials. */
export function componentClientCert(pkiDir: string, component: ComponentName): ServingCert {
  return {
    certFile: path.join(pkiDir, `${component}-client.crt`),
    keyFile: path.join(pkiDir, `${component}-client.key`),
  };
}

/** Sandbox agents are nodes to the API server, as kubelets are: `system:node:<host>` in `system:nodes`. */
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

/**
 * A sandbox agent's client certificate (`system:node:<hostId>`, group `system:nodes`), issued once by the cluster CA
 * (its key beside `caFile`) into `outDir`, as the agent's serving certificate is.
 */
export function issueNodeClientCert(caFile: string, outDir: string, hostId: string): ServingCert {
  return issueClientCert({
    caFile,
    caKeyFile: path.join(path.dirname(caFile), 'ca.key'),
    outDir,
    name: `node-${hostId}-client`,
    user: `${NODE_USER_PREFIX}${hostId}`,
    groups: [NODES_GROUP],
  });
}

export const ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';

// Secrets encrypted with a fresh 256-bit key; `identity` second, so Secrets stored before encryption still read.
function writeEncryptionConfig(file: string): void {
  writeFileSync(file, encryptionConfigYaml([{ name: 'key1', secret: randomBytes(32).toString('base64') }]), {
    mode: 0o600,
  });
}

/** An EncryptionConfiguration for Secrets: aesgcm with `keys` (the first encrypts), then identity. */
export function encryptionConfigYaml(keys: { name: string; secret: string }[]): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    '      - aesgcm:',
    '          keys:',
    ...keys.flatMap((k) => [`            - name: ${k.name}`, `              secret: ${k.secret}`]),
    '      - identity: {}',
    '',
  ].join('\n');
}

/** Writes a kubeconfig that reaches the API server as the admin over verified TLS. */
export function writeKubeconfig(file: string, server: string, creds: ClusterCredentials, contextName = 'skiff'): void {
  writeUserKubeconfig(file, {
    server,
    ca: readFileSync(creds.caFile),
    user: { name: 'skiff-admin', token: readFileSync(creds.tokenFile, 'utf8').trim() },
    cluster: contextName,
    context: contextName,
  });
}

/** Who a kubeconfig is: a bearer token, or a client certificate and its key (PEM), embedded. */
export type KubeconfigUser =
  { name: string; token: string } | { name: string; clientCertificate: Buffer; clientKey: Buffer };

export interface KubeconfigSpec {
  server: string;
  /** The cluster CA (PEM), embedded. */
  ca: Buffer;
  user: KubeconfigUser;
  cluster: string;
  context: string;
}

/** Writes a one-context kubeconfig (mode 0600: it holds a credential), its namespace `default`. */
export function writeUserKubeconfig(file: string, spec: KubeconfigSpec): void {
  const credential =
    'token' in spec.user
      ? [`    token: ${spec.user.token}`]
      : [
          `    client-certificate-data: ${spec.user.clientCertificate.toString('base64')}`,
          `    client-key-data: ${spec.user.clientKey.toString('base64')}`,
        ];
  const config = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${spec.cluster}`,
    '  cluster:',
    `    server: ${spec.server}`,
    `    certificate-authority-data: ${spec.ca.toString('base64')}`,
    'users:',
    `- name: ${spec.user.name}`,
    '  user:',
    ...credential,
    'contexts:',
    `- name: ${spec.context}`,
    '  context:',
    `    cluster: ${spec.cluster}`,
    `    user: ${spec.user.name}`,
    '    namespace: default',
    `current-context: ${spec.context}`,
    '',
  ].join('\n');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, config, { mode: 0o600 });
}

export interface ServingCert {
  certFile: string;
  keyFile: string;
}

interface CaSigner {
  caFile: string;
  caKeyFile: string;
  outDir: string;
  name: string;
}

/**
 * A serving certificate for another component (a sandbox agent's endpoint), signed by the
 * cluster CA, written once into `outDir`.
 */
export function issueServingCert(opts: CaSigner & { sans: string[] }): ServingCert {
  const sans = opts.sans.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`));
  return issueCert(
    opts,
    `/CN=${opts.name}`,
    `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
  );
}

/**
 * A client certificate signed by the cluster CA, written once into `outDir` as `<name>.crt`/`.key`: the API server
 * authenticates it as `user` (CN) in `groups` (O).
 */
export function issueClientCert(opts: CaSigner & { user: string; groups: string[] }): ServingCert {
  const subject = `/CN=${opts.user}${opts.groups.map((g) => `/O=${g}`).join('')}`;
  return issueCert(opts, subject, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
}

function issueCert(opts: CaSigner, subject: string, extensions: string): ServingCert {
  mkdirSync(opts.outDir, { recursive: true, mode: 0o700 });
  const cert: ServingCert = {
    certFile: path.join(opts.outDir, `${opts.name}.crt`),
    keyFile: path.join(opts.outDir, `${opts.name}.key`),
  };
  if (existsSync(cert.certFile) && existsSync(cert.keyFile)) return cert;
  const ext = path.join(opts.outDir, `${opts.name}.ext`);
  writeFileSync(ext, extensions);
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      cert.keyFile,
      '-out',
      `${opts.name}.csr`,
    ],
    opts.outDir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${opts.name}.csr`,
      '-CA',
      opts.caFile,
      '-CAkey',
      opts.caKeyFile,
      '-CAcreateserial',
      '-CAserial',
      path.join(opts.outDir, 'ca.srl'),
      '-days',
      '825',
      '-extfile',
      ext,
      '-out',
      cert.certFile,
    ],
    opts.outDir,
  );
  return cert;
}
