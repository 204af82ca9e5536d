import { PlainJsonReplySerializer, PlainJsonRequestDeserializer, UndecodablePayload } from './nats-transport';

describe(PlainJsonRequestDeserializer.name, () => {
  const d = new PlainJsonRequestDeserializer();

  it('reads a plain JSON body as a request answered on its reply subject', () => {
    const packet = d.deserialize(Buffer.from('{"podUid":"u"}'), { channel: 's.ipam.allocate', replyTo: '_INBOX.1' });
    expect(packet).toEqual({ pattern: 's.ipam.allocate', data: { podUid: 'u' }, id: '_INBOX.1' });
  });

  it('hands bytes that are not JSON to the handler instead of throwing', () => {
    const packet = d.deserialize(Buffer.from('{nope'), { channel: 's.ipam.allocate', replyTo: '_INBOX.2' });
    expect(packet.data).toBeInstanceOf(UndecodablePayload);
    expect('id' in packet && packet.id).toBe('_INBOX.2');
  });

  it('treats a message without a reply subject as an event', () => {
    expect(d.deserialize(Buffer.from('{}'), { channel: 'c' })).toEqual({ pattern: 'c', data: {} });
  });
});

describe(PlainJsonReplySerializer.name, () => {
  const s = new PlainJsonReplySerializer();
  const decode = (p: { data: Uint8Array }): unknown => JSON.parse(Buffer.from(p.data).toString('utf8'));

  it('writes the result without Nest envelope fields', () => {
    expect(decode(s.serialize({ id: 'i', response: { released: true }, isDisposed: true }))).toEqual({
      released: true,
    });
  });

  it('turns a framework error into an IPAM error reply', () => {
    expect(
      decode(s.serialize({ id: 'i', err: 'There is no matching message handler defined in the remote service.' })),
    ).toEqual({
      error: { code: 'internal', message: 'There is no matching message handler defined in the remote service.' },
    });
  });
});
