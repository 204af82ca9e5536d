import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { podObject, resourceType, templateOf } from './spec-fixtures';
import { validateObject } from './validate-object';

const POD = resourceType('', 'Pod');
const DEPLOYMENT = resourceType('apps', 'Deployment');
const TARGET = { name: 'app', image: 'busybox', command: ['sleep', '3600'] };
// What kubectl 1.32's `kubectl debug --image=busybox --target=app -- sh` adds.
const DEBUGGER = {
  name: 'debugger-abcde',
  image: 'busybox',
  command: ['sh'],
  resources: {},
  targetContainerName: 'app',
  terminationMessagePolicy: 'File',
  stdin: true,
  tty: true,
};

const pod = (ephemeralContainers?: unknown[]): KubeObject =>
  applyDefaults(POD, podObject({ containers: [TARGET], ...(ephemeralContainers ? { ephemeralContainers } : {}) }));
const viaSubresource = (next: KubeObject, old: KubeObject) => validateObject(POD, next, old, 'ephemeralcontainers');
const fields = (causes: { field?: string; message?: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

describe('ephemeral container validation', () => {
  it('accepts a debug container added through the subresource', () => {
    expect(viaSubresource(pod([DEBUGGER]), pod())).toEqual([]);
  });

  it('accepts adding a second one next to an existing one', () => {
    expect(viaSubresource(pod([DEBUGGER, { ...DEBUGGER, name: 'debugger-fghij' }]), pod([DEBUGGER]))).toEqual([]);
  });

  it('refuses removing an existing ephemeral container, with upstream words', () => {
    expect(fields(viaSubresource(pod([]), pod([DEBUGGER])))).toEqual([
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger-abcde" may not be removed\n',
    ]);
  });

  it('refuses changing an existing ephemeral container', () => {
    const [cause] = viaSubresource(pod([{ ...DEBUGGER, image: 'alpine' }]), pod([DEBUGGER]));
    expect(cause.field).toBe('spec.ephemeralContainers');
    expect(cause.message).toMatch(/^Forbidden: existing ephemeral containers "debugger-abcde" may not be changed\n/);
    expect(cause.message).toMatch(/^-\s+Image:\s+"busybox",$/m);
    expect(cause.message).toMatch(/^\+\s+Image:\s+"alpine",$/m);
  });

  it('needs a name unique across init, app and ephemeral containers', () => {
    expect(fields(viaSubresource(pod([{ ...DEBUGGER, name: 'app' }]), pod()))).toEqual([
      'spec.ephemeralContainers[0].name: Duplicate value: "app"',
    ]);
    expect(fields(viaSubresource(pod([DEBUGGER, DEBUGGER]), pod()))).toEqual([
      'spec.ephemeralContainers[1].name: Duplicate value: "debugger-abcde"',
    ]);
  });

  it('needs the target to be an existing init or app container', () => {
    expect(fields(viaSubresource(pod([{ ...DEBUGGER, targetContainerName: 'nope' }]), pod()))).toEqual([
      'spec.ephemeralContainers[0].targetContainerName: Not found: "nope"',
    ]);
    const debuggingADebugger = pod([DEBUGGER, { ...DEBUGGER, name: 'second', targetContainerName: 'debugger-abcde' }]);
    expect(fields(viaSubresource(debuggingADebugger, pod([DEBUGGER])))).toEqual([
      'spec.ephemeralContainers[1].targetContainerName: Not found: "debugger-abcde"',
    ]);
  });

  it('refuses ports, resources, restart policy, probes and lifecycle hooks', () => {
    const probe = { exec: { command: ['true'] } };
    const loaded = {
      ...DEBUGGER,
      ports: [{ containerPort: 80 }],
      resources: { limits: { cpu: '1' } },
      restartPolicy: 'Always',
      livenessProbe: probe,
      readinessProbe: probe,
      startupProbe: probe,
      lifecycle: { preStop: probe },
    };
    const forbidden = 'Forbidden: cannot be set for an Ephemeral Container';
    expect(fields(viaSubresource(pod([loaded]), pod()))).toEqual(
      ['ports', 'resources', 'restartPolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'].map(
        (f) => `spec.ephemeralContainers[0].${f}: ${forbidden}`,
      ),
    );
  });

  it('refuses subPath mounts and checks mounts like any container', () => {
    const withMounts = {
      ...DEBUGGER,
      volumeMounts: [
        { name: 'data', mountPath: '/data', subPath: 'x' },
        { name: 'missing', mountPath: '/m' },
      ],
    };
    const next = applyDefaults(
      POD,
      podObject({ containers: [TARGET], volumes: [{ name: 'data', emptyDir: {} }], ephemeralContainers: [withMounts] }),
    );
    const old = applyDefaults(POD, podObject({ containers: [TARGET], volumes: [{ name: 'data', emptyDir: {} }] }));
    expect(fields(viaSubresource(next, old))).toEqual([
      'spec.ephemeralContainers[0].volumeMounts[1].name: Not found: "missing"',
      'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container',
    ]);
  });

  it('needs a name and an image', () => {
    expect(fields(viaSubresource(pod([{ terminationMessagePolicy: 'File' }]), pod()))).toEqual([
      'spec.ephemeralContainers[0].name: Required value',
      'spec.ephemeralContainers[0].image: Required value',
    ]);
  });

  it('cannot be set when a pod is created, nor in a template', () => {
    expect(fields(validateObject(POD, pod([DEBUGGER])))).toEqual([
      'spec.ephemeralContainers: Forbidden: cannot be set on create',
    ]);
    const deployment = applyDefaults(DEPLOYMENT, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: templateOf({ ephemeralContainers: [DEBUGGER] }) },
    });
    expect(fields(validateObject(DEPLOYMENT, deployment))).toEqual([
      'spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template',
    ]);
  });

  it('cannot be added, changed or removed through the pod itself', () => {
    const [cause] = validateObject(POD, pod([DEBUGGER]), pod());
    expect(cause.field).toBe('spec');
    expect(cause.message).toMatch(/^Forbidden: pod updates may not change fields other than/);
    // Carried along unchanged, they are fine.
    expect(validateObject(POD, pod([DEBUGGER]), pod([DEBUGGER]))).toEqual([]);
  });
});
