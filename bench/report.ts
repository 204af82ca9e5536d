import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LatencySummary } from './stats';

/** One line of the results table. */
export interface BenchRow {
  label: string;
  latency?: LatencySummary;
  /** Operations per second achieved. */
  rate?: number;
  note?: string;
}

const LABEL_WIDTH = 48;

function ms(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '';
  return v >= 100 ? `${v.toFixed(0)}ms` : `${v.toFixed(1)}ms`;
}

export function formatTable(title: string, rows: BenchRow[]): string {
  const cols = ['p50', 'p90', 'p99', 'max'];
  const head = `${title.padEnd(LABEL_WIDTH)}${cols.map((c) => c.padStart(9)).join('')}${'rate'.padStart(10)}  note`;
  const lines = rows.map((r) => {
    const l = r.latency;
    const cells = [l?.p50, l?.p90, l?.p99, l?.max].map((v) => ms(v).padStart(9)).join('');
    const rate = r.rate === undefined ? '' : `${r.rate.toFixed(1)}/s`;
    return `${r.label.padEnd(LABEL_WIDTH)}${cells}${rate.padStart(10)}  ${r.note ?? ''}`.trimEnd();
  });
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

/** Writes figures under .skiff/bench/ (git-ignored) and returns the file path. */
export function writeJsonResults(repoRoot: string, name: string, results: unknown): string {
  const dir = path.join(repoRoot, '.skiff', 'bench');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

export function ratio(api: number, floor: number): string {
  return floor > 0 ? `×${(api / floor).toFixed(1)}` : '×?';
}
