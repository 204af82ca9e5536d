import { isJsonObject, JsonObject } from '@skiff/api-machinery';
import { FieldPath, isPrefix } from './field-path';

// An immutable set of field paths, convertible to and from the FieldsV1 format
// (`{"f:spec":{"f:replicas":{}}}`, with `.` marking a member that also has children).
export class FieldSet {
  private readonly paths: ReadonlyMap<string, FieldPath>;

  private constructor(paths: Map<string, FieldPath>) {
    this.paths = paths;
  }

  static empty(): FieldSet {
    return new FieldSet(new Map());
  }

  static of(paths: Iterable<FieldPath>): FieldSet {
    const map = new Map<string, FieldPath>();
    for (const p of paths) map.set(JSON.stringify(p), [...p]);
    return new FieldSet(map);
  }

  static fromFieldsV1(fields: JsonObject | undefined): FieldSet {
    const out: FieldPath[] = [];
    const walk = (node: JsonObject, path: string[]): void => {
      for (const [pe, child] of Object.entries(node)) {
        if (pe === '.') {
          if (path.length > 0) out.push(path);
          continue;
        }
        const childNode = isJsonObject(child) ? child : {};
        const p = [...path, pe];
        if (Object.keys(childNode).length === 0) out.push(p);
        else walk(childNode, p);
      }
    };
    if (fields) walk(fields, []);
    return FieldSet.of(out);
  }

  toFieldsV1(): JsonObject {
    const root: JsonObject = {};
    for (const path of this.sortedPaths()) {
      let node = root;
      for (const pe of path) {
        if (!isJsonObject(node[pe])) node[pe] = {};
        node = node[pe] as JsonObject;
      }
    }
    // A member that also has children is marked with ".".
    for (const path of this.sortedPaths()) {
      let node = root;
      for (const pe of path) node = node[pe] as JsonObject;
      if (Object.keys(node).length > 0 && !('.' in node)) {
        const children = { ...node };
        for (const k of Object.keys(node)) delete node[k];
        node['.'] = {};
        Object.assign(node, children);
      }
    }
    return root;
  }

  get size(): number {
    return this.paths.size;
  }

  isEmpty(): boolean {
    return this.paths.size === 0;
  }

  has(path: FieldPath): boolean {
    return this.paths.has(JSON.stringify(path));
  }

  toArray(): FieldPath[] {
    return [...this.paths.values()];
  }

  sortedPaths(): FieldPath[] {
    return this.toArray().sort(comparePaths);
  }

  union(other: FieldSet): FieldSet {
    return new FieldSet(new Map([...this.paths, ...other.paths]));
  }

  difference(other: FieldSet): FieldSet {
    return new FieldSet(new Map([...this.paths].filter(([k]) => !other.paths.has(k))));
  }

  intersection(other: FieldSet): FieldSet {
    return new FieldSet(new Map([...this.paths].filter(([k]) => other.paths.has(k))));
  }

  filter(keep: (path: FieldPath) => boolean): FieldSet {
    return new FieldSet(new Map([...this.paths].filter(([, p]) => keep(p))));
  }

  equals(other: FieldSet): boolean {
    return this.size === other.size && [...this.paths.keys()].every((k) => other.paths.has(k));
  }

  // True when `path` or anything below it is a member.
  coversOrContains(path: FieldPath): boolean {
    return this.toArray().some((p) => isPrefix(path, p));
  }
}

// FieldsV1 order: fields, then keys, values, indexes; each group by spelling.
const GROUP: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };
function comparePaths(a: FieldPath, b: FieldPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    const g = (GROUP[a[i][0]] ?? 9) - (GROUP[b[i][0]] ?? 9);
    if (g !== 0) return g;
    return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}
