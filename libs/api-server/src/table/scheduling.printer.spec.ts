import { priorityClassPrinter } from './scheduling.printer';
import { printed } from './served-kinds.fixture';

describe('priorityClassPrinter', () => {
  it('prints value, global default and preemption policy', () => {
    expect(
      printed('scheduling.k8s.io', 'PriorityClass', {
        metadata: { name: 'high' },
        value: 1000,
        globalDefault: true,
        preemptionPolicy: 'Never',
      }).row,
    ).toEqual({
      NAME: 'high',
      VALUE: 1000,
      'GLOBAL-DEFAULT': true,
      AGE: '60m',
      PREEMPTIONPOLICY: 'Never',
    });
    expect(printed('scheduling.k8s.io', 'PriorityClass', { metadata: { name: 'low' }, value: 0 }).row).toMatchObject({
      VALUE: 0,
      'GLOBAL-DEFAULT': false,
      PREEMPTIONPOLICY: '',
    });
    expect(priorityClassPrinter.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Value', 'integer', 0],
      ['Global-Default', 'boolean', 0],
      ['Age', 'string', 0],
      ['PreemptionPolicy', 'string', 0],
    ]);
  });
});
