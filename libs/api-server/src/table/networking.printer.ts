// networking.k8s.io/v1 ingresses and ingressclasses.
import { KubeObject } from '@skiff/api-machinery';
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { loadBalancerAddresses } from './core.printer';
import { ResourcePrinter } from './table.types';
import { list, optStr, record, str } from './unstructured';

// formatHosts: up to three hosts, `*` when no rule names one.
function formatHosts(ing: KubeObject): string {
  const rules = list(ing, 'spec', 'rules');
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (hosts.length === max) more = true;
    const host = str(rule, 'host');
    if (!more && host) hosts.push(host);
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${rules.length - max} more...` : hosts.join(',');
}

export const ingressPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  cells: (ing, { now }) => [
    nameOf(ing),
    optStr(ing, 'spec', 'ingressClassName') ?? '<none>',
    formatHosts(ing),
    loadBalancerAddresses(record(ing, 'status', 'loadBalancer'), true),
    list(ing, 'spec', 'tls').length > 0 ? '80, 443' : '80',
    ageOf(ing, now),
  ],
};

function ingressClassParameters(ic: KubeObject): string {
  const p = record(ic, 'spec', 'parameters');
  if (!p) return '<none>';
  const group = optStr(p, 'apiGroup');
  return `${str(p, 'kind')}${group !== undefined ? `.${group}` : ''}/${str(p, 'name')}`;
}

export const ingressClassPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    AGE_COLUMN,
  ],
  cells: (ic, { now }) => [nameOf(ic), str(ic, 'spec', 'controller'), ingressClassParameters(ic), ageOf(ic, now)],
};
