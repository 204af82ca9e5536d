/** metav1.Time: RFC 3339 in whole seconds, as the API writes timestamps. */
export function metaTime(d: Date | number = Date.now()): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
