import { applyDefaults } from './defaults';
import { validateObject } from './validate-object';
import { podObject, resourceType } from './spec-fixtures';
import type { KubeObject } from '@skiff/api-machinery';

const POD = resourceType('', 'Pod');
const check = (pod: KubeObject, old?: KubeObject) =>
  validateObject(POD, applyDefaults(POD, pod), old ? applyDefaults(POD, old) : undefined);

describe('Pod validation', () => {
  it('accepts a plain defaulted pod', () => {
    expect(check(podObject())).toEqual([]);
  });

  it('requires containers and images', () => {
    expect(check(podObject({ containers: [] }))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' },
    ]);
    expect(check(podObject({ containers: [{ name: 'app' }] }))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.containers[0].image', message: 'Required value' },
    ]);
  });

  it('requires unique DNS-label container names across init and app containers', () => {
    const causes = check(
      podObject({
        initContainers: [{ name: 'app', image: 'busybox' }],
        containers: [
          { name: 'App', image: 'x' },
          { name: 'app', image: 'y' },
        ],
      }),
    );
    expect(causes.map((c) => [c.field, c.reason])).toEqual([
      ['spec.containers[0].name', 'FieldValueInvalid'],
      ['spec.containers[1].name', 'FieldValueDuplicate'],
    ]);
    expect(causes[1].message).toBe('Duplicate value: "app"');
  });

  it('checks ports', () => {
    const causes = check(
      podObject({
        containers: [
          {
            name: 'a',
            image: 'x',
            ports: [
              { containerPort: 70000, protocol: 'HTTP' },
              { containerPort: 80, name: 'http' },
              { containerPort: 81, name: 'http' },
            ],
          },
        ],
      }),
    );
    expect(causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.containers[0].ports[0].containerPort',
        message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
      },
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.containers[0].ports[0].protocol',
        message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      },
      { reason: 'FieldValueDuplicate', field: 'spec.containers[0].ports[2].name', message: 'Duplicate value: "http"' },
    ]);
  });

  it('checks env names', () => {
    const [cause] = check(podObject({ containers: [{ name: 'a', image: 'x', env: [{ name: '1BAD', value: 'v' }] }] }));
    expect(cause.field).toBe('spec.containers[0].env[0].name');
    expect(cause.message).toBe(
      "Invalid value: \"1BAD\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    );
  });

  it('rejects unknown restart and DNS policies', () => {
    expect(check(podObject({ restartPolicy: 'Sometimes', dnsPolicy: 'Google' }))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.restartPolicy',
        message: 'Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
      },
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.dnsPolicy',
        message:
          'Unsupported value: "Google": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"',
      },
    ]);
  });

  it('requires mounts to name a declared volume and volume names to be unique', () => {
    const causes = check(
      podObject({
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'data', configMap: { name: 'cfg' } },
        ],
        containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'logs', mountPath: '/logs' }] }],
      }),
    );
    expect(causes).toEqual([
      { reason: 'FieldValueDuplicate', field: 'spec.volumes[1].name', message: 'Duplicate value: "data"' },
      { reason: 'FieldValueNotFound', field: 'spec.containers[0].volumeMounts[0].name', message: 'Not found: "logs"' },
    ]);
  });

  it('keeps requests within limits and quantities parseable', () => {
    const causes = check(
      podObject({
        containers: [
          { name: 'a', image: 'x', resources: { requests: { cpu: '2', memory: 'lots' }, limits: { cpu: '1000m' } } },
        ],
      }),
    );
    expect(causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.containers[0].resources.requests[memory]',
        message:
          'Invalid value: "lots": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.containers[0].resources.requests',
        message: 'Invalid value: "2": must be less than or equal to cpu limit of 1',
      },
    ]);
  });

  it('requires exactly one probe handler', () => {
    const causes = check(
      podObject({
        containers: [
          {
            name: 'a',
            image: 'x',
            livenessProbe: {},
            readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } },
          },
        ],
      }),
    );
    expect(causes).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.containers[0].livenessProbe',
        message: 'Required value: must specify a handler type',
      },
      {
        reason: 'FieldValueForbidden',
        field: 'spec.containers[0].readinessProbe.tcpSocket',
        message: 'Forbidden: may not specify more than 1 handler type',
      },
    ]);
  });

  it('allows image changes on update but nothing else in the spec', () => {
    const old = { ...podObject(), metadata: { name: 'web', namespace: 'default', uid: 'u1' } };
    const newImage = { ...old, spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } };
    expect(check(newImage, old)).toEqual([]);
    const newPort = {
      ...old,
      spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
    };
    const causes = check(newPort, old);
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ reason: 'FieldValueForbidden', field: 'spec' });
    expect(causes[0].message).toMatch(
      /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/,
    );
    // Upstream's cmp.Diff of the spec follows, so the user sees which field changed.
    const diff = causes[0].message!.split('\n').slice(1);
    expect(diff[0]).toBe('  core.PodSpec{');
    expect(diff).toContain('  \tContainers: []core.Container{');
    expect(diff).toContain('- \t\t\tPorts: nil,');
    expect(diff).toContain('+ \t\t\tPorts: []core.ContainerPort{{ContainerPort: 80, Protocol: "TCP"}},');
    expect(diff[diff.length - 1]).toBe('  }');
  });

  it('allows adding tolerations but not removing them', () => {
    const tol = { key: 'a', operator: 'Exists', effect: 'NoSchedule' };
    const old = podObject({ tolerations: [tol] });
    expect(check(podObject({ tolerations: [tol, { key: 'b', operator: 'Exists' }] }), old)).toEqual([]);
    expect(check(podObject({ tolerations: [] }), old).map((c) => c.field)).toEqual(['spec']);
  });
});
