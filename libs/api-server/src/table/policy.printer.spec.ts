import { KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES } from '../resources/resource-types';
import { podDisruptionBudgetPrinter } from './policy.printer';
import { toTable } from './table';

const now = new Date('2025-06-01T12:00:00Z');
const PDB = BUILT_IN_RESOURCES.find((r) => r.group === 'policy' && r.kind === 'PodDisruptionBudget')!;

function pdb(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return {
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2025-06-01T11:55:00Z' },
    spec,
    ...(status ? { status } : {}),
  };
}

// What kubectl prints: upper-cased headers and each cell.
function row(o: KubeObject): Record<string, unknown> {
  const table = toTable(PDB, [o], { now });
  return Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name.toUpperCase(), table.rows[0].cells[i]]));
}

describe('podDisruptionBudgetPrinter', () => {
  it('prints NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE, N/A where a bound is unset', () => {
    expect(podDisruptionBudgetPrinter.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Min Available', 'string'],
      ['Max Unavailable', 'string'],
      ['Allowed Disruptions', 'integer'],
      ['Age', 'string'],
    ]);
    expect(row(pdb({ minAvailable: 2 }, { disruptionsAllowed: 1 }))).toEqual({
      NAME: 'web',
      'MIN AVAILABLE': '2',
      'MAX UNAVAILABLE': 'N/A',
      'ALLOWED DISRUPTIONS': 1,
      AGE: '5m',
    });
    expect(row(pdb({ maxUnavailable: '25%' }))).toEqual({
      NAME: 'web',
      'MIN AVAILABLE': 'N/A',
      'MAX UNAVAILABLE': '25%',
      'ALLOWED DISRUPTIONS': 0,
      AGE: '5m',
    });
    expect(row(pdb({}))).toMatchObject({ 'MIN AVAILABLE': 'N/A', 'MAX UNAVAILABLE': 'N/A' });
  });
});
