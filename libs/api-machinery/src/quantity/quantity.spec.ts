import { canonicalQuantity, formatQuantity, parseQuantity, tryParseQuantity } from './quantity';

describe(parseQuantity.name, () => {
  it.each([
    ['100m', 0.1],
    ['1.5', 1.5],
    ['2Gi', 2 * 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1e3', 1000],
    ['1k', 1000],
    ['1M', 1e6],
    ['250u', 0.00025],
    ['.5', 0.5],
    ['-1', -1],
    [3, 3],
  ])('%s', (input, expected) => {
    expect(parseQuantity(input)).toBeCloseTo(expected, 12);
  });

  it('rejects what Kubernetes rejects', () => {
    for (const bad of ['', 'abc', '1Gb', '1 Gi', '1.2.3', 'Gi']) expect(tryParseQuantity(bad)).toBeUndefined();
    expect(() => parseQuantity('1Gb')).toThrow('quantities must match the regular expression');
  });
});

describe(formatQuantity.name, () => {
  it('prints the canonical form', () => {
    expect(formatQuantity(0.1)).toBe('100m');
    expect(formatQuantity(2)).toBe('2');
    expect(formatQuantity(1500)).toBe('1500');
    expect(formatQuantity(2000)).toBe('2k');
    expect(formatQuantity(2 ** 30, 'BinarySI')).toBe('1Gi');
    expect(formatQuantity(1.5 * 2 ** 30, 'BinarySI')).toBe('1536Mi');
    expect(formatQuantity(0)).toBe('0');
  });
});

describe(canonicalQuantity.name, () => {
  it.each([
    ['0.5', '500m'],
    ['2000m', '2'],
    ['1.5Gi', '1536Mi'],
    ['1e3', '1e3'],
    [1000, '1k'],
    [1073741824, '1073741824'],
    ['0.5Ki', '512'],
    ['1023Ki', '1023Ki'],
    ['0.1m', '100u'],
    ['0.0001n', '1n'],
    ['12e4', '120e3'],
    ['1500k', '1500k'],
    ['-1.5', '-1500m'],
    ['0Gi', '0'],
  ])('prints %j as resource.Quantity does: %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  it('leaves what does not parse alone', () => {
    expect(canonicalQuantity('1Kb')).toBe('1Kb');
  });
});
