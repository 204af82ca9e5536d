import { ConfigError } from '@skiff/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isAlreadyExists, isConflict, isExpired, isNotFound, KubeApiError } from './kube-api.error';
import { KubeClient } from './kube-client';
import { readKubeconfig } from './kubeconfig.reader';

describe(KubeApiError.name, () => {
  it('carries code, reason, message and details from a Status body', () => {
    const err = KubeApiError.fromResponse(404, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 404,
      reason: 'NotFound',
      message: 'pods "p" not found',
      details: { name: 'p', kind: 'pods' },
    });
    expect(err).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "p" not found',
      details: { name: 'p', kind: 'pods' },
    });
    expect(isNotFound(err)).toBe(true);
    expect(isConflict(err)).toBe(false);
  });

  it('tells Conflict from AlreadyExists, both 409', () => {
    expect(
      isConflict(KubeApiError.fromResponse(409, { kind: 'Status', code: 409, reason: 'Conflict', message: 'stale' })),
    ).toBe(true);
    const exists = KubeApiError.fromResponse(409, {
      kind: 'Status',
      code: 409,
      reason: 'AlreadyExists',
      message: 'exists',
    });
    expect(isAlreadyExists(exists)).toBe(true);
    expect(isConflict(exists)).toBe(false);
  });

  it('derives the reason from the HTTP code when the body is not a Status', () => {
    const err = KubeApiError.fromResponse(410, '<html>gone</html>');
    expect(err).toMatchObject({ code: 410, reason: 'Expired', message: '<html>gone</html>' });
    expect(isExpired(err)).toBe(true);
    expect(isNotFound(new Error('x'))).toBe(false);
  });
});

describe(KubeClient.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'kube-client-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fromEnv names the file it cannot read', () => {
    expect(() => KubeClient.fromEnv('scheduler', { SKIFF_CA_FILE: path.join(dir, 'missing.crt') })).toThrow(
      ConfigError,
    );
    expect(() => KubeClient.fromEnv('scheduler', { SKIFF_CA_FILE: path.join(dir, 'missing.crt') })).toThrow(
      /SKIFF_CA_FILE/,
    );
    writeFileSync(path.join(dir, 'ca.crt'), 'PEM');
    expect(() => KubeClient.fromEnv('scheduler', { SKIFF_CA_FILE: path.join(dir, 'ca.crt') })).toThrow(
      /client certificate: cannot read .*scheduler-client\.crt/,
    );
  });

  it("fromEnv defaults the server and reads the CA and the component's client certificate beside it", () => {
    for (const f of ['ca.crt', 'scheduler-client.crt', 'scheduler-client.key']) writeFileSync(path.join(dir, f), 'PEM');
    const client = KubeClient.fromEnv('scheduler', { SKIFF_CA_FILE: path.join(dir, 'ca.crt') });
    expect(client.server).toBe('https://127.0.0.1:6443');
    client.close();
  });

  it('fromKubeconfig reads the current context with a tokenFile and CA file relative to it', () => {
    writeFileSync(path.join(dir, 'token'), 'tok\n');
    writeFileSync(path.join(dir, 'ca.crt'), 'PEM');
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:7443", certificate-authority: ca.crt}}]',
        'users: [{name: u, user: {tokenFile: token}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    const client = KubeClient.fromKubeconfig(file);
    expect(client.server).toBe('https://127.0.0.1:7443');
    client.close();
    expect(() => KubeClient.fromKubeconfig(path.join(dir, 'absent'))).toThrow(ConfigError);
  });

  it('readKubeconfig takes a client certificate and key, inline or as files, and says when a user has neither', () => {
    writeFileSync(path.join(dir, 'ca.crt'), 'PEM');
    writeFileSync(path.join(dir, 'user.key'), 'KEY');
    const file = path.join(dir, 'kubeconfig');
    const write = (user: string) =>
      writeFileSync(
        file,
        [
          'clusters: [{name: c, cluster: {server: "https://127.0.0.1:7443", certificate-authority: ca.crt}}]',
          `users: [{name: u, user: ${user}}]`,
          'contexts: [{name: x, context: {cluster: c, user: u}}]',
          'current-context: x',
        ].join('\n'),
      );
    write(`{client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key: user.key}`);
    expect(readKubeconfig(file)).toEqual({
      server: 'https://127.0.0.1:7443',
      ca: Buffer.from('PEM'),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
    });
    write('{}');
    expect(() => readKubeconfig(file)).toThrow('user "u" has no token or client certificate and key');
  });
});
