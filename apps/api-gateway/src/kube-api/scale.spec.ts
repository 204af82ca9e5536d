import { KubeObject } from '@skiff/api-machinery';
import { BUILT_IN_RESOURCES } from '@skiff/api-server';
import { fromScale, toScale } from './scale';

const typeOf = (group: string, kind: string) => BUILT_IN_RESOURCES.find((r) => r.group === group && r.kind === kind)!;

describe(toScale.name, () => {
  it("gives a ReplicationController's equality selector as the Scale's label-selector string", () => {
    const rc: KubeObject = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '7' },
      spec: { replicas: 3, selector: { tier: 'front', app: 'web' } },
      status: { replicas: 2 },
    };
    expect(toScale(typeOf('', 'ReplicationController'), rc)).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '7', creationTimestamp: undefined },
      spec: { replicas: 3 },
      status: { replicas: 2, selector: 'app=web,tier=front' },
    });
    expect(fromScale(typeOf('', 'ReplicationController'), rc, { spec: { replicas: 5 } }).spec).toEqual({
      replicas: 5,
      selector: { tier: 'front', app: 'web' },
    });
  });

  it("keeps a ReplicaSet's LabelSelector form", () => {
    const rs: KubeObject = {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }],
        },
      },
    };
    expect(toScale(typeOf('apps', 'ReplicaSet'), rs).status).toEqual({ replicas: 0, selector: 'app=web,env in (a,b)' });
  });
});
