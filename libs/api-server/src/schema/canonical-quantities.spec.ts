import { withCanonicalQuantities } from './canonical-quantities';
import { SchemaRegistry } from './schema-registry.service';

describe(withCanonicalQuantities.name, () => {
  it('rewrites the quantities a schema places, nothing else', () => {
    const registry = SchemaRegistry.builtIn();
    const pod = registry.schemaFor('', 'v1', 'Pod')!;
    const obj = {
      metadata: { name: 'p', labels: { cpu: '0.5' } },
      spec: { containers: [{ name: 'c', resources: { limits: { cpu: 1, memory: '1.5Gi' } } }] },
    };
    expect(withCanonicalQuantities(obj, pod)).toEqual({
      metadata: { name: 'p', labels: { cpu: '0.5' } },
      spec: { containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1536Mi' } } }] },
    });
  });
});
