// A tiny proto2 writer for specs: the bytes kubectl's typed clients send for `create quota` and
// `create priorityclass` (envelope `k8s\0` + runtime.Unknown).
function varint(v: number): number[] {
  const out: number[] = [];
  let u = v >>> 0;
  do {
    const b = u & 0x7f;
    u >>>= 7;
    out.push(u ? b | 0x80 : b);
  } while (u);
  return out;
}

const tag = (n: number, wire: number): number[] => varint((n << 3) | wire);

export const pb = {
  int: (n: number, v: number): Buffer => Buffer.from([...tag(n, 0), ...varint(v)]),
  bool: (n: number, v: boolean): Buffer => pb.int(n, v ? 1 : 0),
  bytes: (n: number, b: Uint8Array): Buffer => Buffer.concat([Buffer.from([...tag(n, 2), ...varint(b.length)]), b]),
  str: (n: number, s: string): Buffer => pb.bytes(n, Buffer.from(s, 'utf8')),
  msg: (n: number, ...fields: Buffer[]): Buffer => pb.bytes(n, Buffer.concat(fields)),
  /** A map<string, Quantity> entry. */
  quantity: (n: number, key: string, value: string): Buffer => pb.msg(n, pb.str(1, key), pb.msg(2, pb.str(1, value))),
};

export function envelope(apiVersion: string, kind: string, ...fields: Buffer[]): Buffer {
  const unknown = Buffer.concat([
    pb.msg(1, pb.str(1, apiVersion), pb.str(2, kind)),
    pb.msg(2, ...fields),
    pb.str(3, ''),
    pb.str(4, ''),
  ]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}

/** ObjectMeta as gogo writes it for a new object: every non-pointer field, zero or not. */
export function objectMeta(name: string, namespace = ''): Buffer {
  return pb.msg(
    1,
    pb.str(1, name),
    pb.str(2, ''),
    pb.str(3, namespace),
    pb.str(4, ''),
    pb.str(5, ''),
    pb.str(6, ''),
    pb.int(7, 0),
    pb.msg(8),
  );
}
