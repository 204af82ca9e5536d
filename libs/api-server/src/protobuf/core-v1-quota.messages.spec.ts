import { decodeKubernetesProtobuf } from './kubernetes-protobuf.decoder';
import { envelope, objectMeta, pb } from './served-kinds.proto-fixture';

describe('ResourceQuota message', () => {
  it('decodes what `kubectl create quota q --hard=pods=10,cpu=2 --scopes=NotTerminating` sends', () => {
    const spec = pb.msg(2, pb.quantity(1, 'cpu', '2'), pb.quantity(1, 'pods', '10'), pb.str(2, 'NotTerminating'));
    const body = envelope('v1', 'ResourceQuota', objectMeta('q', 'team-a'), spec, pb.msg(3));
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q', namespace: 'team-a', creationTimestamp: null },
      spec: { hard: { cpu: '2', pods: '10' }, scopes: ['NotTerminating'] },
      status: {},
    });
  });

  it('decodes a scope selector and status', () => {
    const req = pb.msg(1, pb.str(1, 'PriorityClass'), pb.str(2, 'In'), pb.str(3, 'high'));
    const body = envelope(
      'v1',
      'ResourceQuota',
      objectMeta('q'),
      pb.msg(2, pb.msg(3, req)),
      pb.msg(3, pb.quantity(1, 'pods', '10'), pb.quantity(2, 'pods', '0')),
    );
    expect(decodeKubernetesProtobuf(body)).toMatchObject({
      spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
      status: { hard: { pods: '10' }, used: { pods: '0' } },
    });
  });
});
