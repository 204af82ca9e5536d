// What a thrown value says, whatever was thrown.

/** An Error's message, else the value as a string: for messages people read (events, Status, warnings). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An Error's stack (its message when it has none), else the value as a string: for logs of the unexpected. */
export function errorDetail(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
