import { ApiError } from '../meta/status';

// kube-apiserver answers patch failures in three ways (handlers/patch.go,
// interpretStrategicMergePatchError):
// - a malformed patch document or directive → 400 BadRequest with the library's message;
// - a well-formed patch that cannot be applied (JSON patch `test` failure, missing path,
//   list of lists, $retainKeys mismatch) → 422 built by NewGenericServerResponse, whose
//   message is the generic "the server rejected our request due to an error in our request".
//   Upstream drops the underlying error; we keep it as a cause so users can see what failed;
// - anything else from strategicpatch (missing merge key, unknown $patch value) is not a
//   Status error upstream and surfaces as a 500 carrying the raw message.
export function badPatch(message: string): ApiError {
  return ApiError.badRequest(message);
}

export function unprocessablePatch(message: string): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message }],
  });
}

export function patchInternalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', message);
}
