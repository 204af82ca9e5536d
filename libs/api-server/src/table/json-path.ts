// The JSONPath subset CRD additionalPrinterColumns use (k8s.io/client-go/util/jsonpath):
// `.spec.replicas`, `.metadata.labels['app.kubernetes.io/name']`, `.items[0]`, `.items[-1]`,
// `[*]` / `.*`, and filters `[?(@.type=="Ready")]`, `[?(@.ready)]`. Ranges and `..` are not
// supported; compiling one throws so callers can fall back.

type Literal = string | number | boolean;

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: Step[]; op?: '==' | '!=' | '<' | '>' | '<=' | '>='; value?: Literal };

export interface CompiledJsonPath {
  readonly source: string;
  /** Every value the path selects, in document order. */
  find(root: unknown): unknown[];
}

export class JsonPathError extends Error {}

const IDENT = /^[A-Za-z0-9_$-]+/;

function parseLiteral(text: string): Literal {
  const t = text.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  if (t !== '' && !Number.isNaN(n)) return n;
  throw new JsonPathError(`unrecognized literal ${t}`);
}

function parseSteps(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '.') throw new JsonPathError('recursive descent is not supported');
      if (path[i + 1] === '*') {
        steps.push({ kind: 'wildcard' });
        i += 2;
        continue;
      }
      const m = IDENT.exec(path.slice(i + 1));
      if (!m) {
        if (i + 1 === path.length) break; // a lone trailing "." (or the root ".") selects the node itself
        throw new JsonPathError(`unexpected character at ${i + 1} in ${path}`);
      }
      steps.push({ kind: 'field', name: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      const end = findClose(path, i);
      steps.push(parseBracket(path.slice(i + 1, end)));
      i = end + 1;
    } else if (IDENT.test(path.slice(i)) && i === 0) {
      const m = IDENT.exec(path) as RegExpExecArray;
      steps.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    } else {
      throw new JsonPathError(`unexpected character at ${i} in ${path}`);
    }
  }
  return steps;
}

// The matching "]" for the "[" at `open`, skipping quoted strings and nested brackets.
function findClose(path: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < path.length; i++) {
    const c = path[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  throw new JsonPathError(`unclosed [ in ${path}`);
}

function parseBracket(inner: string): Step {
  const body = inner.trim();
  if (body === '*') return { kind: 'wildcard' };
  if (/^-?\d+$/.test(body)) return { kind: 'index', index: Number(body) };
  if (/^(['"]).*\1$/.test(body)) return { kind: 'field', name: body.slice(1, -1) };
  const filter = /^\?\(@(.*)\)$/.exec(body);
  if (filter) {
    const expr = filter[1];
    const op = /(==|!=|<=|>=|<|>)/.exec(expr);
    if (!op) return { kind: 'filter', path: parseSteps(expr.trim()) };
    return {
      kind: 'filter',
      path: parseSteps(expr.slice(0, op.index).trim()),
      op: op[1] as '==' | '!=' | '<' | '>' | '<=' | '>=',
      value: parseLiteral(expr.slice(op.index + op[1].length)),
    };
  }
  throw new JsonPathError(`unsupported expression [${inner}]`);
}

function children(node: unknown): unknown[] {
  if (Array.isArray(node)) return node;
  if (typeof node === 'object' && node !== null) return Object.values(node);
  return [];
}

function compare(a: unknown, op: NonNullable<Extract<Step, { kind: 'filter' }>['op']>, b: Literal): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default: {
      if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
      const x = a as number | string;
      if (op === '<') return x < b;
      if (op === '>') return x > b;
      if (op === '<=') return x <= b;
      return x >= b;
    }
  }
}

function apply(steps: Step[], nodes: unknown[]): unknown[] {
  let current = nodes;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of current) {
      switch (step.kind) {
        case 'field':
          if (
            typeof node === 'object' &&
            node !== null &&
            !Array.isArray(node) &&
            Object.prototype.hasOwnProperty.call(node, step.name)
          ) {
            next.push((node as Record<string, unknown>)[step.name]);
          }
          break;
        case 'index':
          if (Array.isArray(node)) {
            const i = step.index < 0 ? node.length + step.index : step.index;
            if (i >= 0 && i < node.length) next.push(node[i]);
          }
          break;
        case 'wildcard':
          next.push(...children(node));
          break;
        case 'filter':
          for (const item of children(node)) {
            const found = apply(step.path, [item]);
            const { op, value } = step;
            const keep =
              op === undefined || value === undefined
                ? found.length > 0 && found[0] !== false && found[0] !== null
                : found.some((v) => compare(v, op, value));
            if (keep) next.push(item);
          }
          break;
      }
    }
    current = next;
  }
  return current;
}

/** Compiles a CRD column path; `{...}` braces, as kubectl accepts them, are optional. */
export function compileJsonPath(source: string): CompiledJsonPath {
  let body = source.trim();
  if (body.startsWith('{') && body.endsWith('}')) body = body.slice(1, -1).trim();
  if (body.startsWith('$')) body = body.slice(1);
  const steps = parseSteps(body);
  return { source, find: (root) => apply(steps, [root]) };
}
