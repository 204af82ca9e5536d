import { networkPolicyPrinter } from './network-policy.printer';
import { printed } from './served-kinds.fixture';

describe('networkPolicyPrinter', () => {
  it('prints the pod selector, <none> when it selects every pod', () => {
    const sel = { matchLabels: { app: 'db' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] };
    expect(
      printed('networking.k8s.io', 'NetworkPolicy', { metadata: { name: 'db' }, spec: { podSelector: sel } }).row,
    ).toEqual({
      NAME: 'db',
      'POD-SELECTOR': 'app=db,tier in (a,b)',
      AGE: '60m',
    });
    expect(
      printed('networking.k8s.io', 'NetworkPolicy', { metadata: { name: 'all' }, spec: { podSelector: {} } }).row[
        'POD-SELECTOR'
      ],
    ).toBe('<none>');
    expect(networkPolicyPrinter.columns).toHaveLength(3);
  });
});
