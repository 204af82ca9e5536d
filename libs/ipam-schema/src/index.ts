// network-svc's private tables: ENI address allocations and the allocation cursor. Only
// network-svc (and the migration runner) may import this lib.
import { EniAllocations1764400000000 } from './1764400000000-eni-allocations';
import { EniAllocationEntity } from './eni-allocation.entity';
import { IpamCursorEntity } from './ipam-cursor.entity';

export { EniAllocationEntity, IpamCursorEntity };
export const IPAM_ENTITIES = [EniAllocationEntity, IpamCursorEntity];
export const IPAM_MIGRATIONS = [EniAllocations1764400000000];
