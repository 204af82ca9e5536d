import type { KubeObject } from '@skiff/api-machinery';
import { admitServerless } from './serverless.admission';
import { applyDefaults } from './defaults';
import { validatePodTemplate } from './pod-template.validation';
import { resourceType, templateOf } from './spec-fixtures';
import { validateObject } from './validate-object';

const type = resourceType('', 'PodTemplate');
const pt = (template: unknown): KubeObject =>
  ({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'tpl', namespace: 'default' }, template }) as KubeObject;
const lines = (obj: KubeObject) =>
  validateObject(type, applyDefaults(type, obj)).map((c) => `${c.field}: ${c.message}`);

describe(validatePodTemplate.name, () => {
  it('defaults and accepts the template as a pod template', () => {
    const out = applyDefaults(type, pt(templateOf()));
    expect(out).toMatchObject({
      template: {
        spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ imagePullPolicy: 'IfNotPresent' }] },
      },
    });
    expect(lines(pt(templateOf()))).toEqual([]);
  });

  it('reports template fields under template.*', () => {
    expect(lines(pt(templateOf({ containers: [] })))).toEqual(['template.spec.containers: Required value']);
    expect(lines(pt(undefined))).toEqual(['template.spec.containers: Required value']);
    expect(lines(pt(templateOf({ ephemeralContainers: [{ name: 'debug', image: 'busybox' }] })))).toContain(
      'template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template',
    );
  });

  it('is refused by serverless admission when it asks for the host network', () => {
    expect(() => admitServerless(type, applyDefaults(type, pt(templateOf({ hostNetwork: true }))))).toThrow(
      /template\.spec\.hostNetwork/,
    );
  });
});
