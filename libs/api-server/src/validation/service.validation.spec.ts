import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { validateObject } from './validate-object';
import { resourceType } from './spec-fixtures';

const SVC = resourceType('', 'Service');
const check = (obj: KubeObject, old?: KubeObject) =>
  validateObject(SVC, applyDefaults(SVC, obj), old ? applyDefaults(SVC, old) : undefined);
const svc = (spec: Record<string, unknown>, name = 'web'): KubeObject => ({
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: 'web' }, ...spec },
});

describe('Service validation', () => {
  it('accepts ClusterIP, headless and ExternalName services', () => {
    expect(check(svc({ ports: [{ port: 80, targetPort: 'http' }] }))).toEqual([]);
    expect(check(svc({ clusterIP: 'None' }))).toEqual([]);
    expect(check(svc({ type: 'ExternalName', externalName: 'db.example.com' }))).toEqual([]);
  });

  it('names must be DNS-1035 labels', () => {
    expect(check(svc({ ports: [{ port: 80 }] }, '1web'))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message:
          "Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      },
    ]);
  });

  it('requires ports, and names when there are several', () => {
    expect(check(svc({}))).toEqual([{ reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' }]);
    expect(check(svc({ ports: [{ port: 80 }, { port: 443, name: 'https' }] }))).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.ports[0].name', message: 'Required value' },
    ]);
    expect(
      check(
        svc({
          ports: [
            { port: 80, name: 'a' },
            { port: 0, name: 'a', protocol: 'ICMP' },
          ],
        }),
      ),
    ).toEqual([
      { reason: 'FieldValueDuplicate', field: 'spec.ports[1].name', message: 'Duplicate value: "a"' },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.ports[1].port',
        message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
      },
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.ports[1].protocol',
        message: 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      },
    ]);
  });

  it("reports a port used twice with the same protocol as upstream's key", () => {
    expect(
      check(
        svc({
          ports: [
            { name: 'a', port: 80, protocol: 'TCP' },
            { name: 'b', port: 80, protocol: 'UDP' },
            { name: 'c', port: 80, protocol: 'TCP' },
          ],
        }),
      ),
    ).toEqual([
      {
        reason: 'FieldValueDuplicate',
        field: 'spec.ports[2]',
        message:
          'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      },
    ]);
  });

  it('rejects unknown types', () => {
    expect(check(svc({ type: 'Magic', ports: [{ port: 80 }] }))).toContainEqual({
      reason: 'FieldValueNotSupported',
      field: 'spec.type',
      message: 'Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    });
  });

  it('keeps the allocated addresses and family, as upstream words it', () => {
    const spec = { ports: [{ port: 80 }], clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], ipFamilies: ['IPv4'] };
    const old = svc(spec);
    expect(check(svc(spec), old)).toEqual([]);
    expect(check(svc({ ...spec, clusterIP: '10.96.0.13', clusterIPs: ['10.96.0.13'] }), old)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIPs[0]',
        message: 'Invalid value: []string{"10.96.0.13"}: may not change once set',
      },
    ]);
    expect(check(svc({ ...spec, clusterIP: '', clusterIPs: [] }), old)).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.clusterIPs[0]',
      message: 'Invalid value: []string{}: primary clusterIP can not be unset',
    });
    expect(check(svc({ ...spec, ipFamilies: ['IPv6'] }), old)).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.ipFamilies[0]',
      message: 'Invalid value: []core.IPFamily{"IPv6"}: may not change once set',
    });
    // Turning ExternalName is a change of addresses upstream allows.
    expect(check(svc({ type: 'ExternalName', externalName: 'db.test' }), old)).toEqual([]);
  });
});
