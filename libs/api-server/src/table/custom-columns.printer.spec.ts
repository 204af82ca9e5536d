import { KubeObject } from '@skiff/api-machinery';
import type { PrinterColumn } from '../resources/resource-types';
import { customColumnsPrinter } from './custom-columns.printer';
import { compileJsonPath } from './json-path';
import { tableWithPrinter } from './table';
import { Table, TableOptions } from './table.types';

const toTableWithColumns = (columns: PrinterColumn[], objects: KubeObject[], opts: TableOptions): Table =>
  tableWithPrinter(customColumnsPrinter(columns), objects, opts);

const now = new Date('2025-06-01T12:00:00Z');

const widget: KubeObject = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w1', creationTimestamp: '2025-06-01T11:00:00Z', labels: { 'app.kubernetes.io/name': 'shop' } },
  spec: { replicas: 3, ratio: 1.5, paused: false, ports: [{ port: 80 }, { port: 443 }] },
  status: {
    lastSync: '2025-06-01T11:58:00Z',
    conditions: [
      { type: 'Synced', status: 'False' },
      { type: 'Ready', status: 'True' },
    ],
  },
};

describe(compileJsonPath.name, () => {
  it.each([
    ['.spec.replicas', [3]],
    ['{.spec.replicas}', [3]],
    [".metadata.labels['app.kubernetes.io/name']", ['shop']],
    ['.spec.ports[1].port', [443]],
    ['.spec.ports[-1].port', [443]],
    ['.spec.ports[*].port', [80, 443]],
    ['.status.conditions[?(@.type=="Ready")].status', ['True']],
    ['.status.conditions[?(@.type!="Ready")].type', ['Synced']],
    ['.spec.missing', []],
  ])('%s', (path, expected) => {
    expect(compileJsonPath(path).find(widget)).toEqual(expected);
  });

  it('rejects what it does not support', () => {
    expect(() => compileJsonPath('..name')).toThrow();
  });
});

describe(customColumnsPrinter.name, () => {
  it('renders additionalPrinterColumns by type', () => {
    const table = toTableWithColumns(
      [
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio', priority: 1 },
        { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: 'Ports', type: 'string', jsonPath: '.spec.ports' },
        { name: 'Synced', type: 'date', jsonPath: '.status.lastSync' },
        { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
      [widget],
      { now },
    );
    expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Replicas', 0],
      ['Ratio', 1],
      ['Paused', 0],
      ['Ready', 0],
      ['Ports', 0],
      ['Synced', 0],
      ['Missing', 0],
      ['Age', 0],
    ]);
    expect(table.rows[0].cells).toEqual(['w1', 3, 1.5, false, 'True', '[{"port":80},{"port":443}]', '2m', null, '60m']);
  });

  it('defaults to NAME + AGE when a CRD declares no columns', () => {
    const table = toTableWithColumns([], [widget], { now });
    expect(table.columnDefinitions.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Age', 'date'],
    ]);
    expect(table.rows[0].cells).toEqual(['w1', '60m']);
  });
});
