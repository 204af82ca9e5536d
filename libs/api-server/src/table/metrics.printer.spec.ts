import { KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES } from '../resources/resource-types';
import { toTable } from './table';

const now = new Date('2026-03-01T10:00:00Z');
const type = (kind: string) => BUILT_IN_RESOURCES.find((r) => r.group === 'metrics.k8s.io' && r.kind === kind)!;
const meta = { name: 'web-1', namespace: 'shop', creationTimestamp: '2026-03-01T10:00:00Z' };

describe('metrics.k8s.io printers', () => {
  it('prints a PodMetrics as metrics-server: usage summed over containers, canonical quantities, the window', () => {
    const pm: KubeObject = {
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: meta,
      timestamp: '2026-03-01T09:59:50Z',
      window: '15s',
      containers: [
        { name: 'web', usage: { cpu: '2000001n', memory: '1024Ki' } },
        { name: 'sidecar', usage: { cpu: '2999999n', memory: '2048Ki' } },
      ],
    };
    const table = toTable(type('PodMetrics'), [pm], { now });
    expect(table.columnDefinitions.map((c) => [c.name, c.format])).toEqual([
      ['Name', 'name'],
      ['cpu', 'quantity'],
      ['memory', 'quantity'],
      ['Window', 'duration'],
    ]);
    expect(table.rows[0].cells).toEqual(['web-1', '5m', '3Mi', '15s']);
    expect(table.rows[0].object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: meta,
    });
  });

  it('prints a NodeMetrics usage as it is, canonical', () => {
    const nm: KubeObject = {
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'NodeMetrics',
      metadata: { name: 'zone-a', creationTimestamp: meta.creationTimestamp },
      window: '15s',
      usage: { cpu: '1234567n', memory: '1536Ki' },
    };
    expect(toTable(type('NodeMetrics'), [nm], { now }).rows[0].cells).toEqual(['zone-a', '1234567n', '1536Ki', '15s']);
  });
});
