import { ApiError } from '@skiff/api-machinery';
import type { Response } from 'express';

/** Answers with the error as a Kubernetes Status (401 for a missing token, 400 for a bad query, …). */
export function sendApiError(res: Response, err: unknown): void {
  const e = ApiError.from(err);
  res.status(e.code).type('application/json').send(JSON.stringify(e.toStatus()));
}
