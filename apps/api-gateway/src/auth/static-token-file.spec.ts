import { ConfigError } from '@skiff/config';
import { StaticTokenFile } from './static-token-file';

describe(StaticTokenFile.name, () => {
  it('reads token,user,uid,"groups" lines as --token-auth-file does', () => {
    const file = new StaticTokenFile(
      ['alice-token,alice,1001,"dev,ops"', 'bob-token,bob,,viewers', 'carol-token,carol,1003', ''].join('\n'),
    );
    expect(file.userFor('alice-token')).toEqual({ username: 'alice', uid: '1001', groups: ['dev', 'ops'] });
    expect(file.userFor('bob-token')).toEqual({ username: 'bob', groups: ['viewers'] });
    expect(file.userFor('carol-token')).toEqual({ username: 'carol', uid: '1003', groups: [] });
    expect(file.userFor('alice')).toBeUndefined();
    expect(file.userFor('')).toBeUndefined();
  });

  it('names the setting and the line of a malformed entry', () => {
    expect(() => new StaticTokenFile('ok,u,1\nbroken', 'tokens.csv')).toThrow(ConfigError);
    expect(() => new StaticTokenFile('ok,u,1\nbroken', 'tokens.csv')).toThrow(/SKIFF_TOKEN_AUTH_FILE.*tokens.csv:2/);
  });
});
