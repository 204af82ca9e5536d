import { ApiError } from '@skiff/api-machinery';

/** The ApiError a call is refused with; fails the spec when the call succeeds or fails otherwise. */
export async function apiRefusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}
