import { decodeKubernetesProtobuf } from './kubernetes-protobuf.decoder';
import { PriorityClass } from './scheduling-v1.messages';
import { envelope, objectMeta, pb } from './served-kinds.proto-fixture';

describe('PriorityClass message', () => {
  it('decodes what `kubectl create priorityclass high --value=1000 --description=x` sends', () => {
    const body = envelope(
      'scheduling.k8s.io/v1',
      'PriorityClass',
      objectMeta('high'),
      pb.int(2, 1000),
      pb.bool(3, false),
      pb.str(4, 'x'),
      pb.str(5, 'PreemptLowerPriority'),
    );
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'high', creationTimestamp: null },
      value: 1000,
      description: 'x',
      preemptionPolicy: 'PreemptLowerPriority',
    });
  });

  it('keeps a zero value and a true globalDefault', () => {
    const body = envelope(
      'scheduling.k8s.io/v1',
      'PriorityClass',
      objectMeta('zero'),
      pb.int(2, 0),
      pb.bool(3, true),
      pb.str(4, ''),
    );
    expect(decodeKubernetesProtobuf(body)).toMatchObject({ value: 0, globalDefault: true });
    expect(Object.keys(PriorityClass).map(Number)).toEqual([1, 2, 3, 4, 5]);
  });
});
