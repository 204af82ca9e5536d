import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.validation';
import { nameIsDnsLabel, nameIsDnsSubdomain } from '@skiff/api-machinery';

describe(validateObjectMeta.name, () => {
  it('requires a name unless generateName is given', () => {
    expect(validateObjectMeta({}, nameIsDnsSubdomain)).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ]);
    expect(validateObjectMeta({ generateName: 'web-' }, nameIsDnsSubdomain)).toEqual([]);
  });

  it('words a bad subdomain name exactly as kubectl shows it', () => {
    expect(validateObjectMeta({ name: 'Bad_Name' }, nameIsDnsSubdomain)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message:
          "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      },
    ]);
  });

  it('rejects dots in a DNS label name', () => {
    expect(validateObjectMeta({ name: 'a.b' }, nameIsDnsLabel).map((c) => c.message)).toEqual([
      'Invalid value: "a.b": must not contain dots',
    ]);
  });

  it('checks label keys and values', () => {
    const causes = validateObjectMeta({ name: 'x', labels: { 'a/b/c': 'ok', good: 'bad value!' } }, nameIsDnsSubdomain);
    expect(causes.map((c) => c.field)).toEqual(['metadata.labels', 'metadata.labels']);
    expect(causes[0].message).toContain(
      'Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters',
    );
    expect(causes[1].message).toBe(
      "Invalid value: \"bad value!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  });

  it('limits the total size of annotations', () => {
    const causes = validateObjectMeta({ name: 'x', annotations: { big: 'x'.repeat(262145) } }, nameIsDnsSubdomain);
    expect(causes).toEqual([
      {
        reason: 'FieldValueTooLong',
        field: 'metadata.annotations',
        message: 'Too long: must have at most 262144 bytes',
      },
    ]);
  });

  it('requires finalizers to be standard or domain-qualified', () => {
    expect(
      validateObjectMeta({ name: 'x', finalizers: ['kubernetes', 'example.com/cleanup', 'mine'] }, nameIsDnsSubdomain),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.finalizers',
        message: 'Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
      },
    ]);
  });

  it("holds custom resources' finalizers only to qualified names, as apimachinery does (Flux's finalizers.fluxcd.io)", () => {
    const meta = { name: 'x', finalizers: ['finalizers.fluxcd.io', 'mine', 'bad name'] };
    expect(validateObjectMeta(meta, nameIsDnsSubdomain, 'metadata', false)).toEqual([
      expect.objectContaining({
        field: 'metadata.finalizers',
        message: expect.stringMatching(/^Invalid value: "bad name": /),
      }),
    ]);
  });
});

describe(validateObjectMetaUpdate.name, () => {
  it('refuses to change the name or uid', () => {
    const causes = validateObjectMetaUpdate({ name: 'b', uid: 'u2' }, { name: 'a', uid: 'u1' });
    expect(causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: 'Invalid value: "b": field is immutable' },
      { reason: 'FieldValueInvalid', field: 'metadata.uid', message: 'Invalid value: "u2": field is immutable' },
    ]);
  });
});
