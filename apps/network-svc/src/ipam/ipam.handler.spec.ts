import { Logger } from '@nestjs/common';
import { IpAllocation, IpAllocationRequest } from '@skiff/messaging';
import { UndecodablePayload } from '../platform/nats-transport';
import { EniAllocator } from './eni-allocator.service';
import { ipamHandlerFor } from './ipam.handler';
import { IpamException } from './ipam.exception';

class FakeAllocator {
  next: () => Promise<IpAllocation> = async () => ({
    podUid: 'u',
    ip: '10.244.0.2',
    prefixLength: 16,
    gateway: '10.244.0.1',
    cidr: '10.244.0.0/16',
  });
  seen: IpAllocationRequest[] = [];
  async allocate(req: IpAllocationRequest): Promise<IpAllocation> {
    this.seen.push(req);
    return this.next();
  }
  async release(): Promise<{ released: boolean }> {
    return { released: false };
  }
}

describe('IpamHandler', () => {
  const Handler = ipamHandlerFor('t');
  let allocator: FakeAllocator;
  let handler: InstanceType<typeof Handler>;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    allocator = new FakeAllocator();
    handler = new Handler(allocator as unknown as EniAllocator);
  });

  it('passes only the contract fields to the allocator', async () => {
    const req = { podUid: 'u', namespace: 'n', name: 'p', hostId: 'h', extra: 'ignored' };
    expect(await handler.allocate(req)).toMatchObject({ ip: '10.244.0.2' });
    expect(allocator.seen).toEqual([{ podUid: 'u', namespace: 'n', name: 'p', hostId: 'h' }]);
  });

  it('answers module errors with their code and anything else as internal', async () => {
    const req = { podUid: 'u', namespace: 'n', name: 'p', hostId: 'h' };
    allocator.next = async () => {
      throw new IpamException('exhausted', 'no free address in 10.244.0.0/16');
    };
    expect(await handler.allocate(req)).toEqual({
      error: { code: 'exhausted', message: 'no free address in 10.244.0.0/16' },
    });
    allocator.next = async () => {
      throw new TypeError('boom');
    };
    expect(await handler.allocate(req)).toEqual({ error: { code: 'internal', message: 'boom' } });
  });

  it('rejects undecodable and incomplete payloads without calling the allocator', async () => {
    expect(await handler.allocate(new UndecodablePayload('payload is not JSON'))).toEqual({
      error: { code: 'invalid-request', message: 'payload is not JSON' },
    });
    expect(await handler.release({})).toEqual({
      error: { code: 'invalid-request', message: 'podUid must be a non-empty string' },
    });
    expect(allocator.seen).toHaveLength(0);
  });
});
