// What every answer to a hostile request must satisfy (issue 15): no undeclared 5xx, every refusal a `Status`,
// nothing stored that validation refuses, nothing shown to the unprivileged user that RBAC hides.
import { labelValueErrors, nameIsDnsSubdomain, qualifiedNameErrors } from '@skiff/api-machinery';
import { HostileRequest, HostileTargets } from './hostile-requests';

export interface HostileAnswer {
  status: number;
  body: Buffer;
  /** A watch that was accepted: its events up to the moment the client hung up. */
  streamed: boolean;
}

// ObjectMeta's limit (apimachinery's TotalAnnotationSizeLimitB).
const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

type Obj = {
  kind?: string;
  metadata?: { name?: unknown; namespace?: unknown; labels?: unknown; annotations?: unknown };
};

/**
 * The 5xx answers Skiff declares, where upstream gives them too: impersonating groups, a uid or extra without a user is
 * the impersonation filter's InternalError, and a strategic merge patch with an unknown `$patch` directive or a list
 * item without its merge key fails in strategicpatch with an error the patch handler does not translate
 * (`unknown patch type: …`, `map: … does not contain declared merge key: …`, `cannot merge lists without merge
 * key …`), so a 500.
 */
export function declaredServerError(req: HostileRequest, ans: HostileAnswer): boolean {
  if (ans.status !== 500) return false;
  if (req.category === 'impersonation') return req.headers['impersonate-user'] === undefined;
  const message = (parse(ans.body) as { message?: unknown } | undefined)?.message;
  return (
    req.headers['content-type'] === 'application/strategic-merge-patch+json' &&
    typeof message === 'string' &&
    /^(unknown patch type: |map: .* does not contain declared merge key: |cannot merge lists without merge key)/.test(
      message,
    )
  );
}

/** Problems with one answer; empty when it is as it must be. */
export function answerProblems(req: HostileRequest, ans: HostileAnswer, t: HostileTargets): string[] {
  const problems: string[] = [];
  const ok = ans.status >= 200 && ans.status < 300;
  if (ans.status >= 500 && !declaredServerError(req, ans)) problems.push(`undeclared ${ans.status}`);
  if (!ok) {
    const statusProblem = notAStatus(ans);
    if (statusProblem) problems.push(statusProblem);
    return problems;
  }
  const values = ans.streamed ? watchObjects(ans.body) : [parse(ans.body)];
  if (req.category === 'forged-token' && req.path !== '/version')
    problems.push('a forged or expired token was accepted');
  if (req.category === 'impersonation') problems.push('impersonation granted to a user without the impersonate verb');
  if (req.sender.as === 'user') for (const v of values) for (const leak of hiddenFromUser(v, t)) problems.push(leak);
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && !ans.streamed && !/[?&]dryRun=/.test(req.path)) {
    const obj = values[0] as Obj | undefined;
    for (const p of storedObjectProblems(obj)) problems.push(`stored: ${p}`);
  }
  return problems;
}

/** Why a refusal is not a `Status` whose code is the HTTP status, or undefined. */
function notAStatus(ans: HostileAnswer): string | undefined {
  const s = parse(ans.body) as {
    kind?: unknown;
    apiVersion?: unknown;
    code?: unknown;
    status?: unknown;
    reason?: unknown;
  };
  if (s === undefined || typeof s !== 'object' || s === null)
    return `${ans.status} body is not JSON: ${ans.body.subarray(0, 80).toString()}`;
  if (s.kind !== 'Status' || s.apiVersion !== 'v1') return `${ans.status} body is not a v1 Status`;
  if (s.code !== ans.status) return `${ans.status} Status has code ${String(s.code)}`;
  if (s.status !== 'Failure') return `${ans.status} Status has status ${String(s.status)}`;
  if (typeof s.reason !== 'string' || s.reason === '') return `${ans.status} Status has no reason`;
  return undefined;
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

// A watch's newline-delimited events, the last one possibly cut short by the client hanging up.
function watchObjects(body: Buffer): unknown[] {
  return body
    .toString('utf8')
    .split('\n')
    .map((line) => parse(Buffer.from(line)) as { object?: unknown } | undefined)
    .filter((e) => e !== undefined)
    .map((e) => e.object);
}

/** What the user's answer shows that its Role in its own namespace does not grant: other namespaces, Secrets, cluster objects. */
export function hiddenFromUser(value: unknown, t: HostileTargets): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const v = value as Obj & { items?: unknown };
  // A Status, or a watch's BOOKMARK (its object holds only a resourceVersion).
  if (v.kind === 'Status' || (v.metadata && v.metadata.name === undefined)) return [];
  if (Array.isArray(v.items)) {
    const itemKind = v.kind?.replace(/List$/, '');
    return v.items.flatMap((i) => hiddenFromUser({ kind: itemKind, ...(i as object) }, t));
  }
  const ns = v.metadata?.namespace;
  const what = `${v.kind ?? 'object'} ${String(ns)}/${String(v.metadata?.name)}`;
  if (v.kind === 'Secret') return [`the user read ${what}`];
  if (v.metadata && ns !== t.userNamespace) return [`the user read ${what} outside its namespace`];
  return [];
}

/** How an object read back from the store breaks ObjectMeta validation (name, label and annotation rules). */
export function storedObjectProblems(obj: Obj | undefined): string[] {
  const meta = obj?.metadata;
  if (!meta) return ['no metadata'];
  const problems: string[] = [];
  const name = typeof meta.name === 'string' ? meta.name : '';
  for (const e of nameIsDnsSubdomain(name, false)) problems.push(`name ${JSON.stringify(name.slice(0, 80))}: ${e}`);
  const labels = (meta.labels ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(labels)) {
    for (const e of qualifiedNameErrors(k)) problems.push(`label key ${JSON.stringify(k.slice(0, 80))}: ${e}`);
    for (const e of typeof v === 'string' ? labelValueErrors(v) : ['not a string'])
      problems.push(`label value ${JSON.stringify(String(v).slice(0, 80))}: ${e}`);
  }
  const annotations = (meta.annotations ?? {}) as Record<string, unknown>;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const e of qualifiedNameErrors(k.toLowerCase()))
      problems.push(`annotation key ${JSON.stringify(k.slice(0, 80))}: ${e}`);
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) problems.push(`annotations total ${size} bytes`);
  return problems;
}
