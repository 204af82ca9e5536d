import { limitRangePrinter, resourceQuotaPrinter } from './quota.printer';
import { HOUR_AGO, printed } from './served-kinds.fixture';

describe('resourceQuotaPrinter', () => {
  it('prints used/hard per resource, limits.* in LIMIT, sorted by name', () => {
    const { row, wide } = printed('', 'ResourceQuota', {
      metadata: { name: 'compute' },
      spec: { hard: { pods: '10', cpu: '2', 'limits.memory': '2Gi' } },
      status: {
        hard: { pods: '10', cpu: '2000m', 'limits.memory': '2048Mi', 'limits.cpu': '4' },
        used: { pods: '3', 'limits.memory': '512Mi' },
      },
    });
    expect(row).toEqual({
      NAME: 'compute',
      AGE: '60m',
      REQUEST: 'cpu: 0/2, pods: 3/10',
      LIMIT: 'limits.cpu: 0/4, limits.memory: 512Mi/2Gi',
    });
    expect(wide).toEqual([]);
    expect(resourceQuotaPrinter.columns.map((c) => c.name)).toEqual(['Name', 'Age', 'Request', 'Limit']);
  });

  it('prints empty columns for a quota nothing has counted yet', () => {
    expect(printed('', 'ResourceQuota', { metadata: { name: 'q' }, spec: { hard: { pods: '10' } } }).row).toEqual({
      NAME: 'q',
      AGE: '60m',
      REQUEST: '',
      LIMIT: '',
    });
    expect(printed('', 'ResourceQuota', { metadata: { name: 'q' }, status: {} }).row).toEqual({
      NAME: 'q',
      AGE: '60m',
      REQUEST: '',
      LIMIT: '',
    });
  });
});

describe('limitRangePrinter', () => {
  it('prints NAME and CREATED AT as the default table convertor does', () => {
    expect(printed('', 'LimitRange', { metadata: { name: 'limits' }, spec: { limits: [] } }).row).toEqual({
      NAME: 'limits',
      'CREATED AT': HOUR_AGO,
    });
    expect(limitRangePrinter.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
  });
});
