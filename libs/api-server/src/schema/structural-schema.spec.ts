import { SchemaNode } from './schema-node';
import { SchemaNodeConverter } from './schema-node.converter';
import { applySchemaDefaults, pruneUnknownFields } from './structural-schema';
import { validateStructural } from './structural-schema.validator';

// A CronTab-like CRD schema, converted the way the registry converts CRD schemas.
const schema: SchemaNode = new SchemaNodeConverter({
  root: {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        required: ['image'],
        properties: {
          image: { type: 'string', minLength: 1, maxLength: 20, pattern: '^[a-z]+$' },
          replicas: { type: 'integer', minimum: 1, maximum: 5, default: 1 },
          mode: { type: 'string', enum: ['fast', 'slow'], default: 'slow' },
          ratio: { type: 'number', exclusiveMaximum: true, maximum: 1, nullable: true },
          port: { 'x-kubernetes-int-or-string': true },
          tags: { type: 'array', maxItems: 2, minItems: 1, items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
          ports: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            items: {
              type: 'object',
              required: ['name'],
              properties: { name: { type: 'string' }, port: { type: 'integer', default: 80 } },
            },
          },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          template: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
          },
          when: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
})
  .convertAll()
  .get('root')!;

const obj = (spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'x.io/v1',
  kind: 'CronTab',
  metadata: { name: 'c' },
  spec,
});

describe(validateStructural.name, () => {
  it('accepts a valid object', () => {
    expect(
      validateStructural(obj({ image: 'busybox', replicas: 2, port: 'http', tags: ['a'], ratio: null }), schema),
    ).toEqual([]);
  });

  it('reports a wrong type with the upstream message and field path', () => {
    expect(validateStructural(obj({ image: 'x', replicas: 'string' }), schema)).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
    expect(validateStructural(obj({ image: 'x', replicas: 1.5 }), schema)[0].message).toBe(
      'Invalid value: "number": spec.replicas in body must be of type integer: "number"',
    );
    expect(validateStructural(obj({ image: 'x', port: true }), schema)[0].message).toBe(
      'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    );
  });

  it('checks required, enum, bounds, lengths, pattern, items and formats', () => {
    const causes = validateStructural(
      obj({
        replicas: 0,
        mode: 'medium',
        ratio: 1,
        tags: ['a', 'a', 'b'],
        when: 'yesterday',
        ports: [{ name: 'a' }, { name: 'a' }],
      }),
      schema,
    );
    expect(causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.image: Required value',
      'spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1',
      'spec.mode: Unsupported value: "medium": supported values: "fast", "slow"',
      'spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1',
      'spec.tags: Too many: 3: must have at most 2 items',
      'spec.tags[1]: Duplicate value: "a"',
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.ports[1]: Duplicate value: {"name":"a"}',
    ]);
    expect(validateStructural(obj({ image: 'ABC' }), schema)[0].message).toBe(
      'Invalid value: "ABC": spec.image in body should match \'^[a-z]+$\'',
    );
    expect(validateStructural(obj({ image: '' }), schema)[0].message).toBe(
      'Invalid value: "": spec.image in body should be at least 1 chars long',
    );
    expect(validateStructural(obj({ image: 'a'.repeat(21) }), schema)[0].reason).toBe('FieldValueTooLong');
    expect(validateStructural(obj({ image: 'a', tags: [] }), schema)[0].message).toBe(
      'Invalid value: 0: spec.tags in body should have at least 1 items',
    );
    expect(validateStructural(obj({ image: 'a', labels: { x: 1 } }), schema)[0].field).toBe('spec.labels.x');
  });

  it('requires apiVersion and kind of embedded resources', () => {
    expect(validateStructural(obj({ image: 'a', template: { spec: {} } }), schema).map((c) => c.field)).toEqual([
      'spec.template.apiVersion',
      'spec.template.kind',
    ]);
  });
});

describe(pruneUnknownFields.name, () => {
  it('drops unknown fields but keeps type meta, maps, preserved and embedded metadata', () => {
    const o = obj({
      image: 'a',
      bogus: 1,
      labels: { any: 'x' },
      free: { deep: { x: 1 } },
      ports: [{ name: 'a', extra: true }],
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x', b: 'y' } },
    });
    o.status = { phase: 'x' };
    expect(pruneUnknownFields(o, schema)).toEqual([
      'spec.bogus',
      'spec.ports[0].extra',
      'spec.template.spec.b',
      'status',
    ]);
    expect(o).toEqual(
      obj({
        image: 'a',
        labels: { any: 'x' },
        free: { deep: { x: 1 } },
        ports: [{ name: 'a' }],
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x' } },
      }),
    );
  });
});

describe(applySchemaDefaults.name, () => {
  it('fills missing and null fields, inside lists too, without touching set values', () => {
    const o = obj({ image: 'a', replicas: null, mode: 'fast', ports: [{ name: 'a' }, { name: 'b', port: 8080 }] });
    applySchemaDefaults(o, schema);
    expect(o.spec).toEqual({
      image: 'a',
      replicas: 1,
      mode: 'fast',
      ports: [
        { name: 'a', port: 80 },
        { name: 'b', port: 8080 },
      ],
    });
  });
});
