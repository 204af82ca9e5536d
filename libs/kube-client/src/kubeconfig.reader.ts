import { ConfigError } from '@skiff/config';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { errorMessage } from '@skiff/api-machinery';

/** A kubeconfig's current context: its server and CA, and a bearer token or a client certificate. */
export type KubeconfigCredentials = { server: string; ca: Buffer } & (
  { token: string } | { cert: Buffer; key: Buffer }
);

type Entry = Record<string, unknown>;

function named(list: unknown, name: string, field: string): Entry | undefined {
  if (!Array.isArray(list)) return undefined;
  const hit = (list as Entry[]).find((e) => e?.name === name);
  const body = hit?.[field];
  return typeof body === 'object' && body !== null ? (body as Entry) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Server, CA and credentials of a kubeconfig's current context: certificate-authority(-data), and token or tokenFile
 * (what `.skiff/kubeconfig` holds) or client-certificate(-data) with client-key(-data) (what `npm run user` writes).
 */
export function readKubeconfig(file: string): KubeconfigCredentials {
  const variable = `kubeconfig ${file}`;
  let doc: Entry;
  try {
    doc = parse(readFileSync(file, 'utf8')) as Entry;
  } catch (err) {
    throw new ConfigError(variable, `cannot read: ${errorMessage(err)}`);
  }
  const dir = path.dirname(file);
  const contextName = str(doc?.['current-context']);
  if (!contextName) throw new ConfigError(variable, 'no current-context');
  const context = named(doc.contexts, contextName, 'context');
  if (!context) throw new ConfigError(variable, `context "${contextName}" not found`);
  const cluster = named(doc.clusters, String(context.cluster), 'cluster');
  if (!cluster || !str(cluster.server))
    throw new ConfigError(variable, `cluster "${String(context.cluster)}" has no server`);
  const user = named(doc.users, String(context.user), 'user') ?? {};

  let ca: Buffer;
  const caData = str(cluster['certificate-authority-data']);
  const caFile = str(cluster['certificate-authority']);
  if (caData) ca = Buffer.from(caData, 'base64');
  else if (caFile) ca = readOrThrow(variable, path.resolve(dir, caFile));
  else throw new ConfigError(variable, 'cluster has no certificate-authority');

  const server = str(cluster.server)!;
  const tokenFile = str(user.tokenFile);
  const token =
    str(user.token) ??
    (tokenFile ? readOrThrow(variable, path.resolve(dir, tokenFile)).toString('utf8').trim() : undefined);
  if (token) return { server, token, ca };
  const cert = pem(variable, dir, user, 'client-certificate');
  const key = pem(variable, dir, user, 'client-key');
  if (cert && key) return { server, ca, cert, key };
  throw new ConfigError(variable, `user "${String(context.user)}" has no token or client certificate and key`);
}

/** `<field>-data` (base64) or `<field>` (a file, relative to the kubeconfig). */
function pem(variable: string, dir: string, user: Entry, field: string): Buffer | undefined {
  const data = str(user[`${field}-data`]);
  if (data) return Buffer.from(data, 'base64');
  const file = str(user[field]);
  return file ? readOrThrow(variable, path.resolve(dir, file)) : undefined;
}

function readOrThrow(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${file}: ${errorMessage(err)}`);
  }
}
