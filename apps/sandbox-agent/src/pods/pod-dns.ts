// A pod's /etc/resolv.conf and /etc/hosts, as kubelet writes them (pkg/kubelet/network/dns,
// kubelet_pods.go's managed hosts file), with ECI's `k8s.aliyun.com/eci-custom-dnsconfig`.
import { ECI_CUSTOM_DNS_CONFIG_ANNOTATION, Pod } from '@skiff/kube-types';

// glibc's limits, as kubelet enforces them.
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** What pods are told about the cluster's DNS, and the host's own resolver (dnsPolicy: Default). */
export interface ClusterDnsSettings {
  nameserver: string;
  domain: string;
  host: ResolvConf;
}

interface DnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name?: string; value?: string }[];
}

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const [key, ...fields] = raw
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    if (key === 'nameserver' && fields[0]) out.nameservers.push(fields[0]);
    else if (key === 'search' || key === 'domain') out.searches = fields;
    else if (key === 'options') out.options.push(...fields);
  }
  return out;
}

/** The resolv.conf of a pod, and warnings (an Event each) for what had to be left out. */
export function podResolvConf(pod: Pod, dns: ClusterDnsSettings): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  let conf: ResolvConf;
  if (policy === 'None') conf = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default' || (policy === 'ClusterFirst' && pod.spec.hostNetwork))
    conf = { ...dns.host, searches: [...dns.host.searches] };
  else {
    const ns = pod.metadata.namespace ?? 'default';
    conf = {
      nameservers: [dns.nameserver],
      searches: [`${ns}.svc.${dns.domain}`, `svc.${dns.domain}`, dns.domain, ...dns.host.searches],
      options: ['ndots:5'],
    };
  }
  for (const extra of [pod.spec.dnsConfig, customDnsConfig(pod, warnings)]) if (extra) conf = merged(conf, extra);
  const searches = [...new Set(conf.searches)];
  if (conf.nameservers.length > MAX_NAMESERVERS) {
    conf.nameservers = conf.nameservers.slice(0, MAX_NAMESERVERS);
    warnings.push(
      `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${conf.nameservers.join(' ')}`,
    );
  }
  let kept = searches.slice(0, MAX_SEARCHES);
  while (kept.join(' ').length > MAX_SEARCH_CHARS) kept = kept.slice(0, -1);
  if (kept.length < searches.length)
    warnings.push(
      `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${kept.join(' ')}`,
    );
  const lines = [
    ...conf.nameservers.map((n) => `nameserver ${n}`),
    ...(kept.length ? [`search ${kept.join(' ')}`] : []),
    ...(conf.options.length ? [`options ${conf.options.join(' ')}`] : []),
  ];
  return { text: lines.length ? `${lines.join('\n')}\n` : '', warnings };
}

// dnsConfig adds nameservers and searches; an option replaces one of the same name.
function merged(base: ResolvConf, extra: DnsConfig): ResolvConf {
  const options = new Map(base.options.map((o) => [o.split(':')[0], o]));
  for (const o of extra.options ?? [])
    if (o.name) options.set(o.name, o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : o.name);
  return {
    nameservers: [...base.nameservers, ...(extra.nameservers ?? [])],
    searches: [...base.searches, ...(extra.searches ?? [])],
    options: [...options.values()],
  };
}

// ECI's annotation carries a PodDNSConfig as JSON; one that does not parse is reported and ignored.
function customDnsConfig(pod: Pod, warnings: string[]): DnsConfig | undefined {
  const raw = pod.metadata.annotations?.[ECI_CUSTOM_DNS_CONFIG_ANNOTATION];
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as DnsConfig;
  } catch {
    // reported below
  }
  warnings.push(`ignoring annotation ${ECI_CUSTOM_DNS_CONFIG_ANNOTATION}: not a JSON DNS config object`);
  return undefined;
}

/** kubelet's managed /etc/hosts: localhost, the pod's own name(s), then the pod's hostAliases. */
export function podHostsFile(pod: Pod, ip: string, hostname: string, fqdn?: string): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    fqdn ? `${ip}\t${fqdn}\t${hostname}` : `${ip}\t${hostname}`,
  ];
  const aliases = pod.spec.hostAliases ?? [];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) if (a.ip && a.hostnames?.length) lines.push(`${a.ip}\t${a.hostnames.join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}
