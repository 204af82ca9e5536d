import type { KubeObject } from '@skiff/api-machinery';
import { applyDefaults } from './defaults';
import { validateObject } from './validate-object';
import { resourceType } from './spec-fixtures';

const CM = resourceType('', 'ConfigMap');
const SECRET = resourceType('', 'Secret');
const check = (type: typeof CM, obj: KubeObject, old?: KubeObject) =>
  validateObject(type, applyDefaults(type, obj), old ? applyDefaults(type, old) : undefined);

describe('ConfigMap and Secret validation', () => {
  it('checks data keys', () => {
    expect(check(CM, { metadata: { name: 'c' }, data: { 'app.properties': 'x', 'bad key': 'y' } })).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'data[bad key]',
        message:
          "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      },
    ]);
  });

  it('limits the total size to 1 MiB', () => {
    expect(check(CM, { metadata: { name: 'c' }, data: { big: 'x'.repeat(1024 * 1024 + 1) } })).toEqual([
      { reason: 'FieldValueTooLong', field: '', message: 'Too long: must have at most 1048576 bytes' },
    ]);
  });

  it('honours immutable: true', () => {
    const old: KubeObject = { metadata: { name: 'c' }, immutable: true, data: { a: '1' } };
    expect(check(CM, { ...old, data: { a: '2' } }, old)).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'data',
        message: 'Forbidden: field is immutable when `immutable` is set',
      },
    ]);
    expect(check(SECRET, { ...old, data: { a: 'Mg==' } }, { ...old, data: { a: 'MQ==' } })).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'data',
        message: 'Forbidden: field is immutable when `immutable` is set',
      },
    ]);
  });

  it('requires base64 data and the keys a typed secret needs', () => {
    expect(check(SECRET, { metadata: { name: 's' }, data: { a: 'not base64!' } })).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'data[a]',
        message: 'Invalid value: "<secret contents redacted>": illegal base64 data',
      },
    ]);
    expect(check(SECRET, { metadata: { name: 's' }, type: 'kubernetes.io/tls', data: {} }).map((c) => c.field)).toEqual(
      ['data[tls.key]', 'data[tls.crt]'],
    );
    expect(
      check(SECRET, {
        metadata: { name: 's' },
        type: 'kubernetes.io/tls',
        stringData: { 'tls.key': 'k', 'tls.crt': 'c' },
      }),
    ).toEqual([]);
  });

  it('keeps the secret type', () => {
    const old: KubeObject = { metadata: { name: 's' }, type: 'Opaque' };
    expect(check(SECRET, { metadata: { name: 's' }, type: 'example.com/custom' }, old)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'type',
        message: 'Invalid value: "example.com/custom": field is immutable',
      },
    ]);
  });
});
