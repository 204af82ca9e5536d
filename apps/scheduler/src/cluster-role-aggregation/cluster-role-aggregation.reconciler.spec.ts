import type { ClusterRole, PolicyRule } from '@skiff/kube-types';
import { aggregatedRules, ClusterRoleAggregationReconciler } from './cluster-role-aggregation.reconciler';

const role = (name: string, labels: Record<string, string>, rules: PolicyRule[]): ClusterRole => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
});
const get = (resource: string): PolicyRule => ({ verbs: ['get'], apiGroups: [''], resources: [resource] });

describe(ClusterRoleAggregationReconciler.name, () => {
  it('gathers the rules of the roles a selector matches, by name, each rule once, not its own', () => {
    const monitoring: ClusterRole = {
      ...role('monitoring', { aggregate: 'true' }, [get('stale')]),
      aggregationRule: {
        clusterRoleSelectors: [
          { matchLabels: { aggregate: 'true' } },
          { matchExpressions: [{ key: 'extra', operator: 'Exists' }] },
        ],
      },
    };
    const all = [
      monitoring,
      role('b-pods', { aggregate: 'true' }, [get('pods'), get('services')]),
      role('a-nodes', { aggregate: 'true' }, [get('nodes'), get('pods')]),
      role('other', {}, [get('secrets')]),
      role('c-extra', { extra: 'yes' }, [get('endpoints'), get('nodes')]),
    ];
    expect(aggregatedRules(monitoring, all)).toEqual([get('nodes'), get('pods'), get('services'), get('endpoints')]);
  });
});
