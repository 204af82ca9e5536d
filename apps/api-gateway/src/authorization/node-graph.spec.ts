import { podReferences } from './node-graph';

describe(podReferences.name, () => {
  it('finds every Secret, ConfigMap, claim and the ServiceAccount a pod uses', () => {
    const refs = podReferences({
      metadata: { name: 'web', namespace: 'dev' },
      spec: {
        serviceAccountName: 'runner',
        imagePullSecrets: [{ name: 'pull' }],
        volumes: [
          { name: 's', secret: { secretName: 'mounted' } },
          { name: 'c', configMap: { name: 'settings' } },
          { name: 'd', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
          { name: 'flex', flexVolume: { driver: 'alicloud/disk', options: { volumeSize: '1' } } },
          { name: 'x', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-creds' } } },
          { name: 'p', projected: { sources: [{ secret: { name: 'proj-s' } }, { configMap: { name: 'proj-c' } }] } },
        ],
        initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'init-env' } }] }],
        containers: [
          {
            name: 'c',
            env: [
              { name: 'A', valueFrom: { secretKeyRef: { name: 'env-s', key: 'k' } } },
              { name: 'B', valueFrom: { configMapKeyRef: { name: 'env-c', key: 'k' } } },
              { name: 'C', value: 'plain' },
            ],
            envFrom: [{ configMapRef: { name: 'all-c' } }],
          },
        ],
        ephemeralContainers: [{ name: 'debug', envFrom: [{ secretRef: { name: 'debug-s' } }] }],
      },
    });
    expect([...refs].sort()).toEqual(
      [
        'configmaps/all-c',
        'configmaps/env-c',
        'configmaps/proj-c',
        'configmaps/settings',
        'persistentvolumeclaims/data',
        'persistentvolumeclaims/web-scratch',
        'persistentvolumeclaims/web-flex',
        'secrets/csi-creds',
        'secrets/debug-s',
        'secrets/env-s',
        'secrets/init-env',
        'secrets/mounted',
        'secrets/proj-s',
        'secrets/pull',
        'serviceaccounts/runner',
      ].sort(),
    );
  });

  it("means the namespace's default ServiceAccount when none is named, and ignores malformed entries", () => {
    const refs = podReferences({
      metadata: { name: 'p' },
      spec: { volumes: [null, 'x', { secret: {} }], containers: [{ env: [{ valueFrom: 3 }] }] },
    });
    expect([...refs]).toEqual(['serviceaccounts/default']);
  });
});
