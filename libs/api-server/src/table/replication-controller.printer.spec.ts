import { KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES } from '../resources/resource-types';
import { toTable } from './table';

const now = new Date('2025-06-01T12:00:00Z');
const RC = BUILT_IN_RESOURCES.find((r) => r.group === '' && r.kind === 'ReplicationController')!;

describe('replicationControllerPrinter', () => {
  it('prints NAME DESIRED CURRENT READY AGE and, wide, CONTAINERS IMAGES SELECTOR', () => {
    const rc: KubeObject = {
      kind: 'ReplicationController',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: '2025-06-01T10:00:00Z' },
      spec: {
        replicas: 3,
        selector: { tier: 'front', app: 'web' },
        template: {
          metadata: { labels: { app: 'web', tier: 'front' } },
          spec: {
            containers: [
              { name: 'web', image: 'nginx:1.27' },
              { name: 'log', image: 'busybox' },
            ],
          },
        },
      },
      status: { replicas: 3, readyReplicas: 2 },
    };
    const table = toTable(RC, [rc], { now });
    const cells = Object.fromEntries(
      table.columnDefinitions.map((c, i) => [
        `${c.name.toUpperCase()}${c.priority ? ' (wide)' : ''}`,
        table.rows[0].cells[i],
      ]),
    );
    expect(cells).toEqual({
      NAME: 'web',
      DESIRED: 3,
      CURRENT: 3,
      READY: 2,
      AGE: '120m',
      'CONTAINERS (wide)': 'web,log',
      'IMAGES (wide)': 'nginx:1.27,busybox',
      'SELECTOR (wide)': 'app=web,tier=front',
    });
    const fresh = toTable(RC, [{ ...rc, spec: { selector: { app: 'web' } }, status: undefined }], { now }).rows[0]
      .cells;
    expect(fresh.slice(1, 4)).toEqual([1, 0, 0]);
  });
});
