import { AddressPool, AddressPoolError } from './address-pool';

// 198.18.0.1–198.18.0.6 may be held; .0 is the network address and .7 the broadcast one.
const CIDR = '198.18.0.0/29';
const ip = (host: number) => `198.18.0.${host}`;

function errorOf(run: () => unknown): AddressPoolError {
  try {
    run();
  } catch (err) {
    if (err instanceof AddressPoolError) return err;
    throw err;
  }
  throw new Error('no AddressPoolError thrown');
}

describe(AddressPool.name, () => {
  let pool: AddressPool;

  beforeEach(() => {
    pool = new AddressPool(CIDR);
  });

  it('hands out the lowest free address, the same one again to its owner, and a released one anew', () => {
    expect(pool.cidr).toBe(CIDR);
    expect(pool.allocate('lb-a')).toBe(ip(1));
    expect(pool.allocate('lb-b')).toBe(ip(2));
    expect(pool.allocate('lb-a')).toBe(ip(1));
    expect(pool.release('lb-a')).toBe(ip(1));
    expect(pool.release('lb-a')).toBeUndefined();
    expect(pool.ownerOf(ip(1))).toBeUndefined();
    expect(pool.addressOf('lb-a')).toBeUndefined();
    expect(pool.allocate('lb-c')).toBe(ip(1));
    expect(pool.ownerOf(ip(1))).toBe('lb-c');
  });

  it('gives the address asked for, and moves an owner that asks for another one', () => {
    expect(pool.allocate('lb-a', ip(5))).toBe(ip(5));
    expect(pool.allocate('lb-a')).toBe(ip(5));
    expect(pool.allocate('lb-a', ip(5))).toBe(ip(5));
    expect(pool.allocate('lb-a', ip(6))).toBe(ip(6));
    expect(pool.ownerOf(ip(5))).toBeUndefined();
    expect(pool.addressOf('lb-a')).toBe(ip(6));
    // The lowest free one skips addresses others asked for.
    pool.allocate('lb-b', ip(1));
    expect(pool.allocate('lb-c')).toBe(ip(2));
  });

  it('refuses addresses outside the pool, its network and broadcast addresses, with the pool in the message', () => {
    for (const address of [ip(0), ip(7), '198.18.0.8', '10.0.0.1', 'not-an-ip']) {
      const err = errorOf(() => pool.allocate('lb-a', address));
      expect(err.code).toBe('NotInPool');
      expect(err.message).toBe(`${address} is not an assignable address of ${CIDR}`);
    }
    expect(pool.contains(ip(0))).toBe(false);
    expect(pool.contains(ip(7))).toBe(false);
    expect(pool.contains(ip(6))).toBe(true);
    expect(pool.owners('')).toEqual([]);
  });

  it("refuses another owner's address and leaves the asking owner where it was", () => {
    pool.allocate('lb-a', ip(3));
    pool.allocate('lb-b');
    const err = errorOf(() => pool.allocate('lb-b', ip(3)));
    expect(err.code).toBe('Taken');
    expect(err.message).toBe(`${ip(3)} is already in use`);
    expect(pool.addressOf('lb-b')).toBe(ip(1));
    expect(pool.ownerOf(ip(3))).toBe('lb-a');
  });

  it('runs out after the last address before the broadcast one, and never hands out .0 or .7', () => {
    const handed = [1, 2, 3, 4, 5, 6].map((n) => pool.allocate(`lb-${n}`));
    expect(handed).toEqual([1, 2, 3, 4, 5, 6].map(ip));
    const err = errorOf(() => pool.allocate('lb-7'));
    expect(err.code).toBe('Exhausted');
    expect(err.message).toBe(`no free address left in ${CIDR}`);
    expect(pool.addressOf('lb-7')).toBeUndefined();
    pool.release('lb-4');
    expect(pool.allocate('lb-7')).toBe(ip(4));
  });

  it('hands out only the two host addresses of a /30', () => {
    const small = new AddressPool('198.19.0.4/30');
    expect([small.allocate('a'), small.allocate('b')]).toEqual(['198.19.0.5', '198.19.0.6']);
    expect(errorOf(() => small.allocate('c')).code).toBe('Exhausted');
  });

  it('seeds the owners of one prefix from what the API says, keeping every other owner', () => {
    pool.allocate('lb-stale');
    pool.allocate('ingressclass/alb');
    pool.allocate('lb-kept', ip(5));
    pool.seed('lb-', [
      { owner: 'lb-kept', address: ip(5) },
      { owner: 'lb-new', address: ip(1) },
    ]);
    expect(pool.addressOf('lb-stale')).toBeUndefined();
    expect(pool.addressOf('ingressclass/alb')).toBe(ip(2));
    expect(pool.addressOf('lb-kept')).toBe(ip(5));
    expect(pool.addressOf('lb-new')).toBe(ip(1));
    expect(pool.owners('lb-').sort()).toEqual(['lb-kept', 'lb-new']);
    expect(pool.owners('ingressclass/')).toEqual(['ingressclass/alb']);
  });

  it('seeds the first claim of a conflict and leaves out addresses outside the pool', () => {
    pool.allocate('ingressclass/alb');
    pool.seed('lb-', [
      { owner: 'lb-a', address: ip(3) },
      { owner: 'lb-b', address: ip(3) },
      { owner: 'lb-a', address: ip(4) },
      { owner: 'lb-c', address: ip(1) },
      { owner: 'lb-d', address: ip(7) },
      { owner: 'lb-e', address: '10.1.2.3' },
    ]);
    expect(pool.addressOf('lb-a')).toBe(ip(3));
    expect(pool.ownerOf(ip(4))).toBeUndefined();
    expect(pool.owners('lb-')).toEqual(['lb-a']);
    expect(pool.ownerOf(ip(1))).toBe('ingressclass/alb');
  });

  it("seeds every owner with the empty prefix (the EIP pool's)", () => {
    pool.allocate('eip-old');
    pool.seed('', [{ owner: 'eip-new', address: ip(6) }]);
    expect(pool.owners('')).toEqual(['eip-new']);
    expect(pool.allocate('eip-other')).toBe(ip(1));
  });
});
