// Error text for selector requirements (k8s.io/apimachinery/pkg/util/validation/field); the
// key/value rules themselves are the shared ones in validation/name-rules.ts.

export function goValue(value: string | readonly string[]): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value.length === 0) return '[]string(nil)';
  return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** field.Invalid(path, value, detail).Error(); a nil path prints as `<nil>`, as upstream. */
export function invalidValue(path: string | undefined, value: string | readonly string[], detail: string): string {
  return `${path ?? '<nil>'}: Invalid value: ${goValue(value)}: ${detail}`;
}

/** field.ErrorList.ToAggregate().Error(): one error alone, several in brackets. */
export function aggregate(errors: string[]): string | undefined {
  if (errors.length === 0) return undefined;
  return errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
}
