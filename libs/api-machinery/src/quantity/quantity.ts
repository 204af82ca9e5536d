// resource.Quantity: parsing to base units (cores, bytes) and canonical printing, as Kubernetes does.

export const QUANTITY_REGEX_TEXT = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_REGEX_TEXT}'`;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export interface ParsedQuantity {
  value: number;
  format: QuantityFormat;
}

const SHAPE = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/;

/** Parses a quantity string; returns undefined when Kubernetes would reject it. */
export function tryParseQuantity(input: string | number): ParsedQuantity | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? { value: input, format: 'DecimalSI' } : undefined;
  const s = input.trim() === input ? input : '';
  const m = SHAPE.exec(s);
  if (!m) return undefined;
  const num = Number(m[1]);
  const suffix = m[2];
  if (Number.isNaN(num)) return undefined;
  if (suffix in BINARY) return { value: num * BINARY[suffix], format: 'BinarySI' };
  if (suffix in DECIMAL) return { value: num * DECIMAL[suffix], format: 'DecimalSI' };
  const exp = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
  if (exp) return { value: num * 10 ** Number(exp[1]), format: 'DecimalExponent' };
  return undefined;
}

/** Parses `100m`, `1.5`, `2Gi`, `512Mi`, `1e3`, `1k` … into base units (cores or bytes). Throws on bad input. */
export function parseQuantity(s: string | number): number {
  const q = tryParseQuantity(s);
  if (!q) throw new Error(`unable to parse quantity's suffix: ${JSON.stringify(s)}: ${QUANTITY_FORMAT_ERROR}`);
  return q.value;
}

function roundTo(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Canonical form, as `Quantity.String()` prints it: `0.1` → `100m`, `1073741824` (BinarySI) → `1Gi`. */
export function formatQuantity(value: number, format: QuantityFormat = 'DecimalSI'): string {
  if (value === 0) return '0';
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  if (format === 'BinarySI' && abs >= 1024 && Number.isInteger(abs)) {
    const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'];
    for (const u of units) {
      const n = abs / BINARY[u];
      if (Number.isInteger(n)) return `${sign}${n}${u}`;
    }
    return `${sign}${abs}`;
  }
  // Decimal: pick the largest SI suffix (multiple of 3 exponent) that leaves an integer.
  const suffixes: [string, number][] = [
    ['E', 1e18],
    ['P', 1e15],
    ['T', 1e12],
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
    ['', 1],
    ['m', 1e-3],
    ['u', 1e-6],
    ['n', 1e-9],
  ];
  for (const [u, mult] of suffixes) {
    const n = roundTo(abs / mult, 6);
    if (Number.isInteger(n) && n >= 1) return `${sign}${n}${u}`;
  }
  // Below 1n Kubernetes rounds up to the smallest unit.
  return `${sign}${Math.ceil(abs / 1e-9)}n`;
}

const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENTS: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIXES = new Map(Object.entries(DECIMAL_EXPONENTS).map(([k, v]) => [v, k]));
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const NANO = 10n ** 9n;

/**
 * Canonical string of a user-written quantity, exactly as resource.Quantity's String() prints
 * it (fixed point, never floating): `0.5` → `500m`, `2000m` → `2`, `1.5Gi` → `1536Mi`, `1e3` →
 * `1e3`, `1024` → `1024`. Precision below 1n is rounded away from zero, as upstream parses.
 * The input itself when it does not parse.
 */
export function canonicalQuantity(input: string | number): string {
  const text = String(input);
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '') || tryParseQuantity(input) === undefined) return text;
  const [, sign, whole, fraction = '', suffix] = m;
  let exponent: number;
  let binary = 0;
  let format: QuantityFormat;
  if (suffix in BINARY_EXPONENTS) {
    binary = BINARY_EXPONENTS[suffix];
    exponent = 0;
    format = 'BinarySI';
  } else if (suffix in DECIMAL_EXPONENTS) {
    exponent = DECIMAL_EXPONENTS[suffix];
    format = 'DecimalSI';
  } else {
    exponent = Number(suffix.slice(1));
    format = 'DecimalExponent';
  }
  // value = digits × 10^(exponent − fraction length) × 1024^binary, held as nano-units (rounded up).
  let numerator = BigInt(`${whole}${fraction}` || '0') * 1024n ** BigInt(binary);
  const scale = exponent - fraction.length + 9;
  let nanos: bigint;
  if (scale >= 0) nanos = numerator * 10n ** BigInt(scale);
  else {
    const div = 10n ** BigInt(-scale);
    nanos = numerator / div + (numerator % div === 0n ? 0n : 1n);
  }
  if (nanos === 0n) return '0';
  const negative = sign === '-';
  if (format === 'BinarySI' && (nanos < 1024n * NANO || nanos % NANO !== 0n)) format = 'DecimalSI';
  if (format === 'BinarySI') {
    let amount = nanos / NANO;
    let power = 0;
    while (amount % 1024n === 0n && power < BINARY_SUFFIXES.length - 1) {
      amount /= 1024n;
      power++;
    }
    return `${negative ? '-' : ''}${amount}${BINARY_SUFFIXES[power]}`;
  }
  numerator = nanos;
  let exp = -9;
  while (numerator % 10n === 0n) {
    numerator /= 10n;
    exp++;
  }
  const shift = ((exp % 3) + 3) % 3;
  numerator *= 10n ** BigInt(shift);
  exp -= shift;
  const decimalSuffix = format === 'DecimalSI' ? DECIMAL_SUFFIXES.get(exp) : exp === 0 ? '' : undefined;
  return `${negative ? '-' : ''}${numerator}${decimalSuffix ?? `e${exp}`}`;
}
