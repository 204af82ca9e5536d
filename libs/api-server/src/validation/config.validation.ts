// ConfigMap and Secret (pkg/apis/core/validation: ValidateConfigMap, ValidateSecret and their updates).
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { forbidden, immutable, invalid, key, required, tooLong } from './field-errors';
import { jsonEqual, objAt, strAt } from './json-access';
import { configMapKeyErrors } from '@skiff/api-machinery';
import { validateObjectMetaUpdate } from './object-meta.validation';

export const MAX_CONFIG_SIZE_BYTES = 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function validateConfigMap(obj: KubeObject): StatusCause[] {
  const o = obj as Record<string, unknown>;
  const out: StatusCause[] = [];
  const data = objAt(o.data) ?? {};
  const binary = objAt(o.binaryData) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of configMapKeyErrors(k)) out.push(invalid(key('data', k), k, m));
    if (k in binary) out.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(strAt(v) ?? '', 'utf8');
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of configMapKeyErrors(k)) out.push(invalid(key('binaryData', k), k, m));
    total += Buffer.from(strAt(v) ?? '', 'base64').length;
  }
  if (total > MAX_CONFIG_SIZE_BYTES) out.push(tooLong('', MAX_CONFIG_SIZE_BYTES));
  return out;
}

const REQUIRED_SECRET_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.key', 'tls.crt'],
};

export function validateSecret(obj: KubeObject): StatusCause[] {
  const o = obj as Record<string, unknown>;
  const out: StatusCause[] = [];
  const data = objAt(o.data) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of configMapKeyErrors(k)) out.push(invalid(key('data', k), k, m));
    const s = strAt(v) ?? '';
    if (!BASE64.test(s)) out.push(invalid(key('data', k), '<secret contents redacted>', 'illegal base64 data'));
    total += Buffer.from(s, 'base64').length;
  }
  if (total > MAX_CONFIG_SIZE_BYTES) out.push(tooLong('data', MAX_CONFIG_SIZE_BYTES));
  const type = strAt(o.type) ?? 'Opaque';
  for (const k of REQUIRED_SECRET_KEYS[type] ?? []) if (!(k in data)) out.push(required(key('data', k), ''));
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    out.push(required(key('data', 'username'), ''), required(key('data', 'password'), ''));
  }
  if (
    type === 'kubernetes.io/service-account-token' &&
    !obj.metadata?.annotations?.['kubernetes.io/service-account.name']
  ) {
    out.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name'), ''));
  }
  if (type === 'kubernetes.io/dockerconfigjson' && typeof data['.dockerconfigjson'] === 'string') {
    try {
      JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8'));
    } catch (e) {
      out.push(
        invalid(
          key('data', '.dockerconfigjson'),
          '<secret contents redacted>',
          e instanceof Error ? e.message : 'invalid JSON',
        ),
      );
    }
  }
  return out;
}

function immutableDataErrors(obj: KubeObject, old: KubeObject, fields: string[]): StatusCause[] {
  const n = obj as Record<string, unknown>;
  const o = old as Record<string, unknown>;
  if (o.immutable !== true) return [];
  const out: StatusCause[] = [];
  if (n.immutable !== true) out.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields)
    if (!jsonEqual(n[f] ?? {}, o[f] ?? {})) out.push(forbidden(f, 'field is immutable when `immutable` is set'));
  return out;
}

export function validateConfigMapUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  return [
    ...validateObjectMetaUpdate(obj.metadata, old.metadata),
    ...immutableDataErrors(obj, old, ['data', 'binaryData']),
    ...validateConfigMap(obj),
  ];
}

export function validateSecretUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj.metadata, old.metadata)];
  const type = (obj as Record<string, unknown>).type ?? 'Opaque';
  const oldType = (old as Record<string, unknown>).type ?? 'Opaque';
  if (type !== oldType) out.push(immutable('type', type));
  return [...out, ...immutableDataErrors(obj, old, ['data']), ...validateSecret(obj)];
}
