// Makes users of the cluster. `add` issues a client certificate signed by the cluster CA (CN the user, O each group)
// and writes a kubeconfig holding it; `bind` grants a user a Role or ClusterRole with a (Cluster)RoleBinding.
// Usage (after `npm run build`):
//   node dist/scripts/user.js add NAME [--group G]... [--kubeconfig FILE]
//   node dist/scripts/user.js bind NAME --clusterrole R|--role R [--namespace NS]
import { errorMessage } from '@skiff/api-machinery';
import { ConfigError, issueClientCert, writeUserKubeconfig } from '@skiff/config';
import { KubeApiError, KubeClient, readKubeconfig, ResourceRef } from '@skiff/kube-client';
import type { ClusterRoleBinding, RoleBinding } from '@skiff/kube-types';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const USAGE =
  'usage: npm run user -- add NAME [--group G]... [--kubeconfig FILE] | bind NAME --clusterrole R|--role R [--namespace NS]';
const RBAC_GROUP = 'rbac.authorization.k8s.io';
// Safe as a certificate subject and a file name; `system:` names are Kubernetes' own.
const USER_NAME = /^[a-z0-9]([-a-z0-9._@]{0,62}[a-z0-9])?$/;
const GROUP_NAME = /^[A-Za-z0-9]([-A-Za-z0-9._@:]{0,62}[A-Za-z0-9])?$/;

/** Bad input: the message is printed alone and the command exits with 2. */
class UsageError extends Error {}

type Flags = Map<string, string[]>;

function parseArgs(args: string[], allowed: string[]): { positionals: string[]; flags: Flags } {
  const positionals: string[] = [];
  const flags: Flags = new Map();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!allowed.includes(name)) throw new UsageError(`unknown flag --${name}`);
    const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`flag --${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positionals, flags };
}

function single(flags: Flags, name: string): string | undefined {
  const values = flags.get(name) ?? [];
  if (values.length > 1) throw new UsageError(`flag --${name} given more than once`);
  return values[0];
}

function userName(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`expected one user name, got ${positionals.length}`);
  const name = positionals[0];
  if (!USER_NAME.test(name))
    throw new UsageError(
      `invalid user name "${name}": at most 64 lowercase letters, digits, '-', '.', '_' or '@', starting and ending with a letter or digit`,
    );
  return name;
}

function add(stateDir: string, args: string[]): void {
  const { positionals, flags } = parseArgs(args, ['group', 'kubeconfig']);
  const name = userName(positionals);
  const groups = flags.get('group') ?? [];
  const bad = groups.find((g) => !GROUP_NAME.test(g));
  if (bad !== undefined)
    throw new UsageError(
      `invalid group "${bad}": at most 64 letters, digits, '-', '.', '_', '@' or ':', starting and ending with a letter or digit`,
    );
  const out = path.resolve(single(flags, 'kubeconfig') ?? path.join(stateDir, 'users', `${name}.kubeconfig`));
  const pki = path.join(stateDir, 'pki');
  const caKeyFile = path.join(pki, 'ca.key');
  if (!existsSync(caKeyFile))
    throw new ConfigError('SKIFF_STATE_DIR', `${caKeyFile} not found: run this where the cluster's state directory is`);
  // The server and CA the admin uses, so the user reaches the same API server the same way.
  const admin = readKubeconfig(path.join(stateDir, 'kubeconfig'));
  // A fresh certificate each time (its groups may have changed); the key lives on only in the kubeconfig.
  const work = mkdtempSync(path.join(stateDir, 'users-'));
  try {
    const cert = issueClientCert({
      caFile: path.join(pki, 'ca.crt'),
      caKeyFile,
      outDir: work,
      name,
      user: name,
      groups,
    });
    writeUserKubeconfig(out, {
      server: admin.server,
      ca: admin.ca,
      user: { name, clientCertificate: readFileSync(cert.certFile), clientKey: readFileSync(cert.keyFile) },
      cluster: 'skiff',
      context: `${name}@skiff`,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`user "${name}"${groups.length ? ` (groups ${groups.join(', ')})` : ''}: kubeconfig ${out}`);
}

async function bind(stateDir: string, args: string[]): Promise<void> {
  const { positionals, flags } = parseArgs(args, ['clusterrole', 'role', 'namespace']);
  const name = userName(positionals);
  const clusterRole = single(flags, 'clusterrole');
  const role = single(flags, 'role');
  const namespace = single(flags, 'namespace');
  if ((clusterRole === undefined) === (role === undefined)) throw new UsageError('give one of --clusterrole or --role');
  if (role !== undefined && namespace === undefined) throw new UsageError('--role needs --namespace');
  const roleRef = { apiGroup: RBAC_GROUP, kind: role ? 'Role' : 'ClusterRole', name: (role ?? clusterRole)! };
  const subject = { apiGroup: RBAC_GROUP, kind: 'User', name };
  const ref: ResourceRef = namespace
    ? { group: RBAC_GROUP, version: 'v1', resource: 'rolebindings', namespaced: true }
    : { group: RBAC_GROUP, version: 'v1', resource: 'clusterrolebindings', namespaced: false };
  const bindingName = `user-${name}-${roleRef.name}`;
  const what = `${namespace ? `rolebinding "${namespace}/` : 'clusterrolebinding "'}${bindingName}"`;
  const client = KubeClient.fromKubeconfig(path.join(stateDir, 'kubeconfig'));
  const bindings = client.resource<RoleBinding | ClusterRoleBinding>(ref);
  try {
    try {
      await bindings.create(namespace, {
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
        metadata: { name: bindingName, ...(namespace ? { namespace } : {}) },
        roleRef,
        subjects: [subject],
      });
      console.log(`${what} created`);
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
    }
    const existing = await bindings.get(namespace, bindingName);
    if (existing.roleRef.kind !== roleRef.kind || existing.roleRef.name !== roleRef.name)
      throw new Error(`${what} exists with roleRef ${existing.roleRef.kind} "${existing.roleRef.name}"`);
    if ((existing.subjects ?? []).some((s) => s.kind === 'User' && s.name === name)) {
      console.log(`${what} unchanged`);
      return;
    }
    await bindings.update(namespace, { ...existing, subjects: [...(existing.subjects ?? []), subject] });
    console.log(`${what} updated`);
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const stateDir = path.resolve(process.env.SKIFF_STATE_DIR ?? '.skiff');
  const [command, ...args] = process.argv.slice(2);
  if (command === 'add') add(stateDir, args);
  else if (command === 'bind') await bind(stateDir, args);
  else throw new UsageError(command === undefined ? 'no command' : `unknown command "${command}"`);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`user: ${err.message} (${USAGE})`);
    process.exit(2);
  }
  console.error(err instanceof ConfigError ? err.message : `user: ${errorMessage(err)}`);
  process.exit(1);
});
