// Content negotiation for the shapes kubectl and client-node ask for.
export const TABLE_MEDIA = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export interface ResponseShape {
  table: boolean;
}

export function responseShape(accept: string | undefined): ResponseShape {
  const parts = (accept ?? '').split(',').map((p) => p.trim().toLowerCase());
  for (const p of parts) {
    const params = p.split(';').map((x) => x.trim());
    if (
      params.includes('as=table') &&
      params.includes('g=meta.k8s.io') &&
      (params.includes('v=v1') || params.includes('v=v1beta1'))
    ) {
      return { table: true };
    }
    if (params[0] === 'application/json' || params[0] === '*/*' || params[0] === 'application/*')
      return { table: false };
  }
  return { table: false };
}
