import { applyDefaults } from './defaults';
import { podObject, resourceType, templateOf } from './spec-fixtures';

describe(applyDefaults.name, () => {
  it('defaults a pod as the API server shows it', () => {
    const pod = podObject({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          livenessProbe: { httpGet: { port: 80 } },
          resources: { limits: { cpu: '1' } },
        },
        { name: 'side', image: 'busybox:1.36' },
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'scratch' }],
    });
    const out = applyDefaults(resourceType('', 'Pod'), pod);
    expect(out.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
      volumes: [
        { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
        { name: 'scratch', emptyDir: {} },
      ],
      containers: [
        {
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
          livenessProbe: {
            httpGet: { port: 80, path: '/', scheme: 'HTTP' },
            timeoutSeconds: 1,
            periodSeconds: 10,
            successThreshold: 1,
            failureThreshold: 3,
          },
          resources: { limits: { cpu: '1' }, requests: { cpu: '1' } },
        },
        { imagePullPolicy: 'IfNotPresent' },
      ],
    });
    expect(pod.spec).not.toHaveProperty('restartPolicy');
  });

  it('defaults a Deployment', () => {
    const out = applyDefaults(resourceType('apps', 'Deployment'), {
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: templateOf() },
    });
    expect(out.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { restartPolicy: 'Always' } },
    });
  });

  it('defaults a StatefulSet', () => {
    const out = applyDefaults(resourceType('apps', 'StatefulSet'), {
      metadata: { name: 's' },
      spec: { serviceName: 'db', template: templateOf() },
    });
    expect(out.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      serviceName: 'db',
    });
  });

  it('defaults a Job and copies template labels to the Job', () => {
    const out = applyDefaults(resourceType('batch', 'Job'), {
      metadata: { name: 'j' },
      spec: { template: templateOf({ restartPolicy: 'Never' }) },
    });
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(out.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
    });
    expect(out.spec).not.toHaveProperty('manualSelector');
  });

  it('leaves completions unset for a work queue Job', () => {
    const out = applyDefaults(resourceType('batch', 'Job'), {
      metadata: { name: 'j' },
      spec: { parallelism: 3, template: templateOf() },
    });
    expect(out.spec).toMatchObject({ parallelism: 3 });
    expect(out.spec).not.toHaveProperty('completions');
  });

  it('defaults a CronJob', () => {
    const out = applyDefaults(resourceType('batch', 'CronJob'), {
      metadata: { name: 'c' },
      spec: { schedule: '@daily', jobTemplate: { spec: { template: templateOf() } } },
    });
    expect(out.spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
  });

  it('defaults a Service without allocating anything', () => {
    const out = applyDefaults(resourceType('', 'Service'), {
      metadata: { name: 's' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    expect(out.spec).toEqual({
      type: 'LoadBalancer',
      sessionAffinity: 'None',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      internalTrafficPolicy: 'Cluster',
      externalTrafficPolicy: 'Cluster',
      allocateLoadBalancerNodePorts: false,
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  it('turns Secret stringData into base64 data', () => {
    const out = applyDefaults(resourceType('', 'Secret'), {
      metadata: { name: 's' },
      data: { a: 'eA==' },
      stringData: { b: 'hello' },
    });
    expect(out).toEqual({ metadata: { name: 's' }, type: 'Opaque', data: { a: 'eA==', b: 'aGVsbG8=' } });
  });

  it('defaults Namespace, PV, PVC, StorageClass and HPA', () => {
    expect(applyDefaults(resourceType('', 'Namespace'), { metadata: { name: 'n' } })).toMatchObject({
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    expect(applyDefaults(resourceType('', 'PersistentVolume'), { metadata: { name: 'p' }, spec: {} })).toMatchObject({
      spec: { persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' },
    });
    expect(
      applyDefaults(resourceType('', 'PersistentVolumeClaim'), { metadata: { name: 'p' }, spec: {} }),
    ).toMatchObject({ spec: { volumeMode: 'Filesystem' } });
    expect(
      applyDefaults(resourceType('storage.k8s.io', 'StorageClass'), { metadata: { name: 'sc' }, provisioner: 'x' }),
    ).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    expect(
      applyDefaults(resourceType('autoscaling', 'HorizontalPodAutoscaler'), {
        metadata: { name: 'h' },
        spec: { maxReplicas: 3 },
      }).spec,
    ).toMatchObject({
      minReplicas: 1,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
    });
  });

  it('fills HPA behavior rules only when a behavior is given, leaving the scale-down window to the controller', () => {
    const hpa = (spec: Record<string, unknown>) =>
      applyDefaults(resourceType('autoscaling', 'HorizontalPodAutoscaler'), {
        metadata: { name: 'h' },
        spec: { maxReplicas: 3, ...spec },
      }).spec as Record<string, unknown>;
    expect(hpa({}).behavior).toBeUndefined();
    expect(
      hpa({ behavior: { scaleUp: { policies: [] }, scaleDown: { stabilizationWindowSeconds: 60 } } }).behavior,
    ).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 60,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
    });
    expect(hpa({ behavior: { scaleDown: { selectPolicy: 'Disabled' } } }).behavior).toMatchObject({
      scaleDown: { selectPolicy: 'Disabled', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
    expect((hpa({ behavior: {} }).behavior as { scaleDown: Record<string, unknown> }).scaleDown).not.toHaveProperty(
      'stabilizationWindowSeconds',
    );
  });
});
