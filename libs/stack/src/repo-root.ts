import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The repository (where package.json is), whether this code runs from source or from dist/. */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'apps'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository above ${from}`);
  }
}

/** A service's or tool's compiled entry point under dist/ (`npm run build` makes it). */
export function compiledEntry(...segments: string[]): string {
  const file = path.join(repoRoot(), 'dist', ...segments);
  if (!existsSync(file)) throw new Error(`${path.relative(repoRoot(), file)} is missing: run \`npm run build\` first`);
  return file;
}
