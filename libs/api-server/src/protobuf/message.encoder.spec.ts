import { bool, f64, i32, i64, list, mapOf, MessageDef, msg, ptr, str, time } from './message-def';
import { decodeMessage } from './message.decoder';
import { encodeMessage } from './message.encoder';
import { ProtoWireError } from './proto-reader';

const Inner: MessageDef = { 1: ['name', str], 2: ['count', i32] };
// Declared out of field order on purpose: the wire order is by field number.
const Outer: MessageDef = {
  3: ['items', list(msg(Inner))],
  1: ['title', str],
  2: ['size', i64],
  4: ['labels', mapOf(str)],
  5: ['ratio', f64],
  6: ['enabled', bool],
  7: ['replicas', ptr(i32)],
  8: ['tags', list(str)],
  9: ['child', msg(Inner)],
};

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('encodeMessage', () => {
  it('writes fields in field-number order, hand-checked', () => {
    // title (1, "a"): 0a 01 61; size (2, 150): 10 96 01; items (3): 1a 03 {name (1, "b"): 0a 01 62}
    expect(hex(encodeMessage({ items: [{ name: 'b' }], size: 150, title: 'a' }, Outer))).toBe(
      '0a0161109601' + '1a030a0162',
    );
  });

  it('round-trips through the decoder', () => {
    const value = {
      title: 'deploy',
      size: -5,
      items: [{ name: 'x', count: 2 }, { name: 'y' }],
      labels: { app: 'web', tier: '' },
      ratio: 0.5,
      enabled: true,
      replicas: 0,
      tags: ['a', '', 'b'],
      child: {},
    };
    expect(decodeMessage(encodeMessage(value, Outer), Outer)).toEqual(value);
  });

  it('leaves out zero scalars unless the field keeps them, as Go does', () => {
    expect(hex(encodeMessage({ title: '', size: 0, enabled: false, ratio: 0 }, Outer))).toBe('');
    // replicas is a pointer: a set zero is written.
    expect(hex(encodeMessage({ replicas: 0 }, Outer))).toBe('3800');
  });

  it('refuses keys the message does not have and values of the wrong type', () => {
    expect(() => encodeMessage({ titel: 'typo' }, Outer)).toThrow(
      new ProtoWireError('titel: no such field in the message'),
    );
    expect(() => encodeMessage({ child: { nmae: 'x' } }, Outer)).toThrow(/child\.nmae: no such field/);
    expect(() => encodeMessage({ size: 1.5 }, Outer)).toThrow(/size: expected an integer/);
    expect(() => encodeMessage({ tags: 'a' }, Outer)).toThrow(/tags: expected a list/);
    expect(() => encodeMessage({ created: '2024-01-01T00:00:00Z' }, { 1: ['created', time] })).toThrow(
      /time values are not encoded/,
    );
  });
});
