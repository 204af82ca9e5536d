import type { Pod } from '@skiff/kube-types';
import { ClusterDnsSettings, parseResolvConf, podHostsFile, podResolvConf } from './pod-dns';

const dns: ClusterDnsSettings = {
  nameserver: '10.96.0.10',
  domain: 'cluster.local',
  host: parseResolvConf('# host\nnameserver 192.0.2.53\nsearch corp.test\noptions timeout:2\n'),
};

function pod(spec: Partial<Pod['spec']> = {}, annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'shop', ...(annotations ? { annotations } : {}) },
    spec: { containers: [], ...spec },
  };
}

describe('pod DNS', () => {
  it('points ClusterFirst pods (the default) at the cluster DNS with the search path and ndots:5', () => {
    expect(podResolvConf(pod(), dns).text).toBe(
      'nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.test\noptions ndots:5\n',
    );
  });

  it("gives Default pods the host's resolver and None pods only their dnsConfig", () => {
    expect(podResolvConf(pod({ dnsPolicy: 'Default' }), dns).text).toBe(
      'nameserver 192.0.2.53\nsearch corp.test\noptions timeout:2\n',
    );
    const none = pod({
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: ['10.0.0.53'],
        searches: ['a.test'],
        options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
      },
    });
    expect(podResolvConf(none, dns).text).toBe('nameserver 10.0.0.53\nsearch a.test\noptions ndots:2 edns0\n');
  });

  it('merges dnsConfig and the ECI annotation into ClusterFirst, an option replacing one of its name', () => {
    const p = pod(
      { dnsConfig: { options: [{ name: 'ndots', value: '1' }] } },
      { 'k8s.aliyun.com/eci-custom-dnsconfig': '{"nameservers":["10.1.1.1"],"searches":["x.test"]}' },
    );
    expect(podResolvConf(p, dns).text).toBe(
      'nameserver 10.96.0.10\nnameserver 10.1.1.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.test x.test\noptions ndots:1\n',
    );
  });

  it('keeps three nameservers and reports the rest, and reports an annotation that is not JSON', () => {
    const p = pod(
      { dnsConfig: { nameservers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] } },
      { 'k8s.aliyun.com/eci-custom-dnsconfig': 'nope' },
    );
    const out = podResolvConf(p, dns);
    expect(out.text.match(/^nameserver /gm)).toHaveLength(3);
    expect(out.warnings).toEqual([
      'ignoring annotation k8s.aliyun.com/eci-custom-dnsconfig: not a JSON DNS config object',
      'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 10.0.0.1 10.0.0.2',
    ]);
  });

  it("writes kubelet's hosts file with the pod's FQDN and its hostAliases", () => {
    const p = pod({ hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }] });
    expect(podHostsFile(p, '10.244.0.5', 'web-0', 'web-0.web.shop.svc.cluster.local')).toBe(
      [
        '# Kubernetes-managed hosts file.',
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'fe00::0\tip6-mcastprefix',
        'fe00::1\tip6-allnodes',
        'fe00::2\tip6-allrouters',
        '10.244.0.5\tweb-0.web.shop.svc.cluster.local\tweb-0',
        '',
        '# Entries added by HostAliases.',
        '127.0.0.1\tfoo.local\tbar.local',
        '',
      ].join('\n'),
    );
  });
});
