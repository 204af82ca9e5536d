import { applyDefaults } from './defaults';
import { validateNetworkPolicy } from './network-policy.validation';
import { resourceType } from './spec-fixtures';
import { validateObject } from './validate-object';

const type = resourceType('networking.k8s.io', 'NetworkPolicy');
const lines = (spec: Record<string, unknown>) =>
  validateObject(type, applyDefaults(type, { metadata: { name: 'np', namespace: 'default' }, spec })).map(
    (c) => `${c.field}: ${c.message}`,
  );

describe(validateNetworkPolicy.name, () => {
  it('defaults policyTypes from the rules and port protocols to TCP', () => {
    expect(
      applyDefaults(type, { metadata: { name: 'np' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] } })
        .spec,
    ).toEqual({
      podSelector: {},
      ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }],
      policyTypes: ['Ingress'],
    });
    expect(
      applyDefaults(type, { metadata: { name: 'np' }, spec: { podSelector: {}, egress: [{}] } }).spec,
    ).toMatchObject({ policyTypes: ['Ingress', 'Egress'] });
    expect(
      applyDefaults(type, { metadata: { name: 'np' }, spec: { policyTypes: ['Egress'], egress: [{}] } }).spec,
    ).toMatchObject({ podSelector: {}, policyTypes: ['Egress'] });
    expect(applyDefaults(type, { metadata: { name: 'np' }, spec: {}, status: { conditions: [] } })).not.toHaveProperty(
      'status',
    );
  });

  it('accepts selectors, ipBlocks and port ranges', () => {
    expect(
      lines({
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { app: 'web' } } },
              { ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24'] } },
            ],
            ports: [{ port: 5432 }, { port: 'metrics' }],
          },
        ],
        egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 32000, endPort: 32768, protocol: 'UDP' }] }],
        policyTypes: ['Ingress', 'Egress'],
      }),
    ).toEqual([]);
  });

  it('refuses bad CIDRs, peers, ports and policy types', () => {
    expect(
      lines({
        podSelector: {},
        ingress: [
          {
            from: [
              { ipBlock: { cidr: '10.0.0.0/33' } },
              { ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24', '10.0.0.0/16'] } },
            ],
          },
        ],
      }),
    ).toEqual([
      'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": not a valid CIDR',
      'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
      'spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
    ]);
    expect(
      lines({ podSelector: {}, egress: [{ to: [{}, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }),
    ).toEqual([
      'spec.egress[0].to[0]: Required value: must specify a peer',
      'spec.egress[0].to[1]: Forbidden: may not specify both ipBlock and another peer',
    ]);
    expect(
      lines({
        podSelector: {},
        ingress: [
          {
            ports: [
              { port: 0, protocol: 'ICMP' },
              { port: 'http', endPort: 90 },
              { port: 100, endPort: 90 },
            ],
          },
        ],
      }),
    ).toEqual([
      'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      'spec.ingress[0].ports[2].endPort: Invalid value: 90: must be greater than or equal to `port`',
    ]);
    expect(lines({ podSelector: {}, policyTypes: ['Ingress', 'Sideways'] })).toEqual([
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ]);
    expect(lines({ podSelector: {}, policyTypes: ['Ingress', 'Egress', 'Ingress'] })).toEqual([
      'spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes',
    ]);
    expect(lines({ podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } })).toEqual([
      "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
  });
});
