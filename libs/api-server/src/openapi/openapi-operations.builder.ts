import { ResourceType, SubresourceType, Verb } from '../resources/resource-types';

// Operations in a neutral form; the v2 and v3 builders render them in their own dialect.
export type Action =
  'get' | 'list' | 'watch' | 'watchlist' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';
export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

export interface ParamSpec {
  name: string;
  in: 'path' | 'query';
  type: 'string' | 'boolean' | 'integer';
  description: string;
  required?: boolean;
}

export interface OperationSpec {
  method: Method;
  action: Action;
  operationId: string;
  description: string;
  gvk: { group: string; version: string; kind: string };
  params: ParamSpec[];
  /** `strategicMerge: false`: custom resources take no strategic merge patch. */
  body?: { kind: 'object' | 'delete' } | { kind: 'patch'; strategicMerge: boolean };
  /** Definition kind of the 200 response in the resource's group/version, or `text` for logs and streams. */
  response: ResponseSpec;
  watch?: boolean;
}

export type ResponseSpec = { kind: string; group: string; version: string } | 'text' | 'status' | 'watchEvent';

export interface PathSpec {
  path: string;
  params: ParamSpec[];
  operations: OperationSpec[];
}

const q = (name: string, type: ParamSpec['type'], description: string): ParamSpec => ({
  name,
  in: 'query',
  type,
  description,
});
const PRETTY = q('pretty', 'string', "If 'true', then the output is pretty printed.");
const DRY_RUN = q(
  'dryRun',
  'string',
  'When present, indicates that modifications should not be persisted. Valid value: All.',
);
const FIELD_MANAGER = q(
  'fieldManager',
  'string',
  'fieldManager is a name associated with the actor or entity that is making these changes.',
);
const FIELD_VALIDATION = q(
  'fieldValidation',
  'string',
  'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict.',
);
const FORCE = q(
  'force',
  'boolean',
  'Force is going to "force" Apply requests: it re-acquires conflicting fields owned by other people. Must be unset for non-apply patch requests.',
);
const WRITE = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const LIST = [
  q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  q('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  q(
    'fieldSelector',
    'string',
    'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  ),
  q(
    'labelSelector',
    'string',
    'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  ),
  q('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  q(
    'resourceVersion',
    'string',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  q('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  q(
    'sendInitialEvents',
    'boolean',
    'sendInitialEvents=true may be set together with watch=true to start the watch stream with synthetic events.',
  ),
  q('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  q(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
  ),
];
const DELETE = [
  DRY_RUN,
  q('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'),
  q('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy.'),
  q(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
  ),
];
const LOG = [
  q('container', 'string', 'The container for which to stream logs.'),
  q('follow', 'boolean', 'Follow the log stream of the pod.'),
  q('limitBytes', 'integer', 'If set, the number of bytes to read from the server before terminating the log output.'),
  q('previous', 'boolean', 'Return previous terminated container logs.'),
  q('sinceSeconds', 'integer', 'A relative time in seconds before the current time from which to show logs.'),
  q('tailLines', 'integer', 'If set, the number of lines from the end of the logs to show.'),
  q('timestamps', 'boolean', 'If true, add an RFC3339 timestamp at the beginning of every line of log output.'),
];
const EXEC = ['command', 'container']
  .map((n) => q(n, 'string', `${n} of the exec request.`))
  .concat(
    ['stderr', 'stdin', 'stdout', 'tty'].map((n) =>
      q(n, 'boolean', `Redirect ${n} / allocate a TTY for the exec call.`),
    ),
  );
const PORTS = [q('ports', 'integer', 'List of ports to forward.')];
const NAMESPACE: ParamSpec = {
  name: 'namespace',
  in: 'path',
  type: 'string',
  required: true,
  description: 'object name and auth scope, such as for teams and projects',
};
const nameParam = (kind: string): ParamSpec => ({
  name: 'name',
  in: 'path',
  type: 'string',
  required: true,
  description: `name of the ${kind}`,
});

/** "networking.k8s.io" → "NetworkingV1", "" → "CoreV1": upstream operationId infix. */
export function groupVersionId(group: string, version: string): string {
  const base = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  const camel = base
    .split(/[.-]/)
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
  return camel + version.charAt(0).toUpperCase() + version.slice(1);
}

export function pathPrefix(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** Every path of one resource (collection, item, all-namespaces, watch, subresources). */
export function resourcePaths(r: ResourceType): PathSpec[] {
  const gv = groupVersionId(r.group, r.version);
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const self = { kind: r.kind, group: r.group, version: r.version };
  const list = { kind: `${r.kind}List`, group: r.group, version: r.version };
  const ns = r.namespaced ? 'Namespaced' : '';
  const scope = r.namespaced ? `/namespaces/{namespace}/${r.resource}` : `/${r.resource}`;
  const prefix = pathPrefix(r.group, r.version);
  const has = (v: Verb): boolean => r.verbs.includes(v);
  const scopeParams = r.namespaced ? [NAMESPACE, PRETTY] : [PRETTY];
  const op = (
    method: Method,
    action: Action,
    verb: string,
    rest: Partial<OperationSpec> & Pick<OperationSpec, 'response'>,
  ): OperationSpec => ({
    method,
    action,
    description: `${verb} ${r.kind}`,
    gvk,
    params: [],
    ...rest,
    operationId: `${verb}${gv}${rest.operationId ?? `${ns}${r.kind}`}`,
  });
  const out: PathSpec[] = [];

  const collection: OperationSpec[] = [];
  if (has('list')) collection.push(op('get', 'list', 'list', { params: LIST, response: list, watch: true }));
  if (has('create'))
    collection.push(op('post', 'create', 'create', { params: WRITE, body: { kind: 'object' }, response: self }));
  if (has('deletecollection'))
    collection.push(
      op('delete', 'deletecollection', 'deleteCollection', {
        params: [...DELETE, ...LIST],
        body: { kind: 'delete' },
        response: 'status',
      }),
    );
  if (collection.length) out.push({ path: `${prefix}${scope}`, params: scopeParams, operations: collection });

  const item: OperationSpec[] = [];
  if (has('get')) item.push(op('get', 'get', 'read', { response: self }));
  if (has('update'))
    item.push(op('put', 'update', 'replace', { params: WRITE, body: { kind: 'object' }, response: self }));
  if (has('delete'))
    item.push(op('delete', 'delete', 'delete', { params: DELETE, body: { kind: 'delete' }, response: 'status' }));
  if (has('patch'))
    item.push(
      op('patch', 'patch', 'patch', {
        params: [...WRITE, FORCE],
        body: { kind: 'patch', strategicMerge: !r.custom },
        response: self,
      }),
    );
  const itemParams = [nameParam(r.kind), ...scopeParams];
  if (item.length) out.push({ path: `${prefix}${scope}/{name}`, params: itemParams, operations: item });

  if (r.namespaced && has('list')) {
    const all = op('get', 'list', 'list', {
      operationId: `${r.kind}ForAllNamespaces`,
      params: LIST,
      response: list,
      watch: true,
    });
    out.push({ path: `${prefix}/${r.resource}`, params: [PRETTY], operations: [all] });
  }
  if (has('watch')) {
    const watchScope = `${prefix}/watch${scope}`;
    out.push({
      path: watchScope,
      params: [...scopeParams, ...LIST],
      operations: [
        op('get', 'watchlist', 'watch', { operationId: `${ns}${r.kind}List`, response: 'watchEvent', watch: true }),
      ],
    });
    out.push({
      path: `${watchScope}/{name}`,
      params: [...itemParams, ...LIST],
      operations: [op('get', 'watch', 'watch', { response: 'watchEvent', watch: true })],
    });
  }
  for (const sub of r.subresources)
    out.push(subresourcePath(r, sub, `${prefix}${scope}/{name}/${sub.name}`, itemParams, gv, ns));
  return out;
}

function subresourcePath(
  r: ResourceType,
  sub: SubresourceType,
  path: string,
  params: ParamSpec[],
  gv: string,
  ns: string,
): PathSpec {
  const suffix = sub.name.charAt(0).toUpperCase() + sub.name.slice(1);
  const gvk = { group: sub.group ?? r.group, version: sub.version ?? r.version, kind: sub.kind || r.kind };
  const base = { gvk, params: [] as ParamSpec[], description: `${sub.name} of the specified ${r.kind}` };
  const id = (verb: string): string => `${verb}${gv}${ns}${r.kind}${suffix}`;
  const ops: OperationSpec[] = [];
  if (sub.name === 'log') {
    ops.push({ ...base, method: 'get', action: 'get', operationId: id('read'), params: LOG, response: 'text' });
  } else if (sub.name === 'exec' || sub.name === 'portforward' || sub.name === 'attach') {
    const qp = sub.name === 'portforward' ? PORTS : EXEC;
    ops.push({
      ...base,
      method: 'get',
      action: 'connect',
      operationId: id('connectGet'),
      params: qp,
      response: 'text',
    });
    ops.push({
      ...base,
      method: 'post',
      action: 'connect',
      operationId: id('connectPost'),
      params: qp,
      response: 'text',
    });
  } else {
    const response = { kind: gvk.kind, group: gvk.group, version: gvk.version };
    if (sub.verbs.includes('get'))
      ops.push({ ...base, method: 'get', action: 'get', operationId: id('read'), response });
    if (sub.verbs.includes('update'))
      ops.push({
        ...base,
        method: 'put',
        action: 'update',
        operationId: id('replace'),
        params: WRITE,
        body: { kind: 'object' },
        response,
      });
    if (sub.verbs.includes('patch'))
      ops.push({
        ...base,
        method: 'patch',
        action: 'patch',
        operationId: id('patch'),
        params: [...WRITE, FORCE],
        body: { kind: 'patch', strategicMerge: !r.custom },
        response,
      });
  }
  return { path, params, operations: ops };
}
