import { Ipv4Range } from '../ipam/cidr';

/** An SLB or EIP pool: every address but the network and broadcast ones may be held. */
export class EdgePoolRange extends Ipv4Range {
  readonly firstOffset = 1;
}

export class AddressPoolError extends Error {
  constructor(
    readonly code: 'Exhausted' | 'NotInPool' | 'Taken',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Who holds which address of a pool, kept in memory by the controllers that hand them out (on the leader), as
 * MetalLB does: the API objects are the record (a Service's status.loadBalancer, an IngressClass's annotation, an
 * EIP's status), and each controller `seed`s its owners (told apart by a name prefix) at the start of a term.
 */
export class AddressPool {
  private readonly range: EdgePoolRange;
  private readonly byAddress = new Map<string, string>();
  private readonly byOwner = new Map<string, string>();

  constructor(cidr: string) {
    this.range = new EdgePoolRange(cidr);
  }

  get cidr(): string {
    return this.range.cidr;
  }

  contains(address: string): boolean {
    return this.range.isAssignable(address);
  }

  /** Forgets the owners named `prefix…`, then records what the API says they hold (a conflict keeps the first). */
  seed(prefix: string, held: Iterable<{ owner: string; address: string }>): void {
    for (const owner of this.owners(prefix)) this.release(owner);
    for (const { owner, address } of held) {
      if (this.contains(address) && !this.byAddress.has(address) && !this.byOwner.has(owner)) this.hold(owner, address);
    }
  }

  addressOf(owner: string): string | undefined {
    return this.byOwner.get(owner);
  }

  ownerOf(address: string): string | undefined {
    return this.byAddress.get(address);
  }

  /**
   * The owner's address: the one it holds, else the one it asks for (if free), else the lowest free one. Asking for
   * another address than the one held moves the owner to it.
   */
  allocate(owner: string, requested?: string): string {
    const held = this.byOwner.get(owner);
    if (held && (!requested || requested === held)) return held;
    if (requested) {
      if (!this.contains(requested))
        throw new AddressPoolError('NotInPool', `${requested} is not an assignable address of ${this.range.cidr}`);
      const holder = this.byAddress.get(requested);
      if (holder && holder !== owner) throw new AddressPoolError('Taken', `${requested} is already in use`);
      this.release(owner);
      this.hold(owner, requested);
      return requested;
    }
    for (let offset = this.range.firstOffset; offset <= this.range.lastOffset; offset++) {
      const address = this.range.ipAt(offset);
      if (!this.byAddress.has(address)) {
        this.hold(owner, address);
        return address;
      }
    }
    throw new AddressPoolError('Exhausted', `no free address left in ${this.range.cidr}`);
  }

  /** The owners named `prefix…`. */
  owners(prefix: string): string[] {
    return [...this.byOwner.keys()].filter((o) => o.startsWith(prefix));
  }

  release(owner: string): string | undefined {
    const address = this.byOwner.get(owner);
    if (address === undefined) return undefined;
    this.byOwner.delete(owner);
    this.byAddress.delete(address);
    return address;
  }

  private hold(owner: string, address: string): void {
    this.byOwner.set(owner, address);
    this.byAddress.set(address, owner);
  }
}
