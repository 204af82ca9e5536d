import { parseRequestInfo } from './request-info';

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
