import { parseRequestInfo, requestUrl } from './request-info';

const q = (s = '') => new URLSearchParams(s);

describe('parseRequestInfo', () => {
  it('parses core namespaced paths', () => {
    expect(parseRequestInfo('GET', '/api/v1/namespaces/default/pods', q())).toEqual({
      verb: 'list',
      group: '',
      version: 'v1',
      namespace: 'default',
      resource: 'pods',
      name: undefined,
      subresource: undefined,
    });
    expect(parseRequestInfo('GET', '/api/v1/namespaces/default/pods/p1/log', q())).toMatchObject({
      verb: 'get',
      name: 'p1',
      subresource: 'log',
    });
  });

  it('treats /namespaces/<name> as the Namespace object', () => {
    expect(parseRequestInfo('DELETE', '/api/v1/namespaces/team-a', q())).toMatchObject({
      verb: 'delete',
      resource: 'namespaces',
      name: 'team-a',
      namespace: undefined,
    });
    expect(parseRequestInfo('PUT', '/api/v1/namespaces/team-a/status', q())).toMatchObject({
      verb: 'update',
      resource: 'namespaces',
      name: 'team-a',
      subresource: 'status',
    });
  });

  it('parses group paths and watch', () => {
    expect(parseRequestInfo('GET', '/apis/apps/v1/deployments', q('watch=true'))).toMatchObject({
      verb: 'watch',
      group: 'apps',
      resource: 'deployments',
    });
    expect(parseRequestInfo('DELETE', '/apis/batch/v1/namespaces/ns/jobs', q())).toMatchObject({
      verb: 'deletecollection',
      namespace: 'ns',
    });
  });

  it('leaves discovery paths alone', () => {
    expect(parseRequestInfo('GET', '/api/v1', q())).toBeUndefined();
    expect(parseRequestInfo('GET', '/apis/apps/v1', q())).toBeUndefined();
  });
});

describe('requestUrl', () => {
  it('keeps `..` segments as sent, so `x/..` stays a sub-resource of x and never becomes the collection', () => {
    for (const target of [
      '/api/v1/namespaces/a/configmaps/x/..?dryRun=All',
      '/api/v1/namespaces/a/configmaps/x/%2e%2e',
    ]) {
      const url = requestUrl(target);
      expect(parseRequestInfo('DELETE', url.pathname, url.searchParams)).toMatchObject({
        verb: 'delete',
        namespace: 'a',
        name: 'x',
        subresource: '..',
      });
    }
    const up = requestUrl('/api/v1/namespaces/a/configmaps/../../b/secrets?watch=1#f');
    expect([up.pathname, up.search, up.searchParams.get('watch')]).toEqual([
      '/api/v1/namespaces/a/configmaps/../../b/secrets',
      '?watch=1',
      '1',
    ]);
    expect(() => parseRequestInfo('GET', up.pathname, up.searchParams)).toThrow();
  });
});
