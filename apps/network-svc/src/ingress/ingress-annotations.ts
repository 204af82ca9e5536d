import { isIP } from 'node:net';
import { Ingress } from '@skiff/kube-types';

export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

/** Something about an Ingress the proxy could not honour; the reconciler turns it into a Warning Event. */
export interface IngressWarning {
  /** `namespace/name` */
  ingress: string;
  /** The full annotation name, when an annotation is at fault. */
  annotation?: string;
  message: string;
}

export type BackendProtocol = 'HTTP' | 'HTTPS';

export interface CanaryAnnotations {
  /** 0–100: the share of requests the canary gets when no header decides. */
  weight: number;
  header?: string;
  headerValue?: string;
}

/** The nginx annotations of one Ingress, with ingress-nginx's defaults; an invalid one is left at its default. */
export interface IngressAnnotations {
  /** As written (`/$2`); implies regex paths, as in ingress-nginx. */
  rewriteTarget?: string;
  useRegex: boolean;
  sslRedirect: boolean;
  forceSslRedirect: boolean;
  backendProtocol: BackendProtocol;
  /** Undefined: unlimited (`0`). */
  maxBodyBytes?: number;
  readTimeoutSeconds: number;
  allowedSources?: string[];
  canary?: CanaryAnnotations;
  affinityCookie?: string;
}

// ingress-nginx's defaults: client_max_body_size 1m, proxy-read-timeout 60 s.
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_READ_TIMEOUT_SECONDS = 60;
const DEFAULT_SESSION_COOKIE = 'INGRESSCOOKIE';

const KNOWN = new Set([
  'rewrite-target',
  'use-regex',
  'ssl-redirect',
  'force-ssl-redirect',
  'backend-protocol',
  'proxy-body-size',
  'proxy-read-timeout',
  'whitelist-source-range',
  'canary',
  'canary-weight',
  'canary-by-header',
  'canary-by-header-value',
  'affinity',
  'session-cookie-name',
]);
const UNSUPPORTED_PROTOCOLS = new Set(['GRPC', 'GRPCS', 'AUTO_HTTP', 'FCGI']);
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const TOKEN = /^[A-Za-z0-9!#$%&*+.^_`|~-]+$/;
// Values end up inside single-quoted HAProxy words: no quote, no whitespace, no control characters.
const CONFIG_SAFE = /^[\x21-\x26\x28-\x7e]+$/;

export function ingressKey(ingress: Ingress): string {
  return `${ingress.metadata.namespace ?? 'default'}/${ingress.metadata.name ?? ''}`;
}

/** True when a value may be written into the proxy's configuration as it is. */
export function isConfigSafe(value: string): boolean {
  return CONFIG_SAFE.test(value);
}

/** Reads the nginx annotations of an Ingress; each invalid or unsupported one is reported and ignored. */
export function ingressAnnotations(ingress: Ingress, warnings: IngressWarning[]): IngressAnnotations {
  const all = ingress.metadata.annotations ?? {};
  const warn = (name: string, message: string): void => {
    warnings.push({ ingress: ingressKey(ingress), annotation: NGINX_ANNOTATION_PREFIX + name, message });
  };
  for (const full of Object.keys(all).sort()) {
    const name = full.slice(NGINX_ANNOTATION_PREFIX.length);
    if (full.startsWith(NGINX_ANNOTATION_PREFIX) && !KNOWN.has(name))
      warn(name, 'not supported by the Ingress proxy; ignored');
  }
  const get = (name: string): string | undefined => all[NGINX_ANNOTATION_PREFIX + name];
  const bool = (name: string, fallback: boolean): boolean => {
    const value = get(name);
    if (value === undefined) return fallback;
    if (value === 'true' || value === 'false') return value === 'true';
    warn(name, `"${value}" is not "true" or "false"; ignored`);
    return fallback;
  };

  const result: IngressAnnotations = {
    useRegex: bool('use-regex', false),
    sslRedirect: bool('ssl-redirect', true),
    forceSslRedirect: bool('force-ssl-redirect', false),
    backendProtocol: 'HTTP',
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    readTimeoutSeconds: DEFAULT_READ_TIMEOUT_SECONDS,
  };

  const rewrite = get('rewrite-target');
  if (rewrite !== undefined) {
    if (isConfigSafe(rewrite) && !rewrite.includes('\\')) result.rewriteTarget = rewrite;
    else warn('rewrite-target', `"${rewrite}" has whitespace, a quote or a backslash; ignored`);
  }

  const protocol = get('backend-protocol')?.toUpperCase();
  if (protocol === 'HTTP' || protocol === 'HTTPS') result.backendProtocol = protocol;
  else if (protocol !== undefined)
    warn(
      'backend-protocol',
      UNSUPPORTED_PROTOCOLS.has(protocol)
        ? `${protocol} is not supported by the Ingress proxy; HTTP is used`
        : `"${protocol}" is not one of HTTP, HTTPS; HTTP is used`,
    );

  const bodySize = get('proxy-body-size');
  if (bodySize !== undefined) {
    const m = /^(\d+)([kKmMgG]?)$/.exec(bodySize);
    if (!m) warn('proxy-body-size', `"${bodySize}" is not a size such as 8m, 512k or 0`);
    else {
      const bytes = Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()];
      result.maxBodyBytes = bytes === 0 ? undefined : bytes;
    }
  }

  const readTimeout = get('proxy-read-timeout');
  if (readTimeout !== undefined) {
    if (/^\d+$/.test(readTimeout) && Number(readTimeout) > 0) result.readTimeoutSeconds = Number(readTimeout);
    else warn('proxy-read-timeout', `"${readTimeout}" is not a positive number of seconds`);
  }

  const whitelist = get('whitelist-source-range');
  if (whitelist !== undefined) {
    const ranges = whitelist
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
    const bad = ranges.filter((r) => !isCidr(r));
    if (bad.length > 0 || ranges.length === 0)
      warn('whitelist-source-range', `"${whitelist}" is not a comma-separated list of CIDRs`);
    else result.allowedSources = ranges;
  }

  if (bool('canary', false)) result.canary = canaryAnnotations(get, warn);

  const affinity = get('affinity');
  if (affinity === 'cookie') {
    const cookie = get('session-cookie-name') ?? DEFAULT_SESSION_COOKIE;
    if (TOKEN.test(cookie)) result.affinityCookie = cookie;
    else warn('session-cookie-name', `"${cookie}" is not a valid cookie name`);
  } else if (affinity !== undefined) warn('affinity', `"${affinity}" is not supported (only "cookie")`);
  return result;
}

function canaryAnnotations(
  get: (name: string) => string | undefined,
  warn: (name: string, message: string) => void,
): CanaryAnnotations {
  const canary: CanaryAnnotations = { weight: 0 };
  const weight = get('canary-weight');
  if (weight !== undefined) {
    if (/^\d+$/.test(weight) && Number(weight) <= 100) canary.weight = Number(weight);
    else warn('canary-weight', `"${weight}" is not a whole number from 0 to 100`);
  }
  const header = get('canary-by-header');
  if (header !== undefined) {
    if (TOKEN.test(header)) canary.header = header;
    else warn('canary-by-header', `"${header}" is not a valid header name`);
  }
  const value = get('canary-by-header-value');
  if (value !== undefined && canary.header) {
    if (isConfigSafe(value)) canary.headerValue = value;
    else warn('canary-by-header-value', `"${value}" has whitespace or a quote`);
  }
  return canary;
}

function isCidr(range: string): boolean {
  const [address, prefix, ...rest] = range.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
