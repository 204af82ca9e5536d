import { frame, TcpMessageFramer } from './tcp-framing';

describe(TcpMessageFramer.name, () => {
  it('splits length-prefixed messages however the bytes arrive', () => {
    const a = Buffer.from('first message');
    const b = Buffer.from('second');
    const stream = Buffer.concat([frame(a), frame(b)]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new TcpMessageFramer();
      const got = [...framer.push(stream.subarray(0, cut))!, ...framer.push(stream.subarray(cut))!];
      expect(got.map(String)).toEqual(['first message', 'second']);
    }
  });

  it('delivers byte by byte', () => {
    const framer = new TcpMessageFramer();
    const got: string[] = [];
    for (const byte of frame(Buffer.from('xyz'))) got.push(...framer.push(Buffer.from([byte]))!.map(String));
    expect(got).toEqual(['xyz']);
  });

  it('rejects a zero-length message', () => {
    expect(new TcpMessageFramer().push(Buffer.from([0, 0, 0, 1]))).toBeUndefined();
  });
});
