// network-svc's private tables: ENI address allocations and their cursor, Service ClusterIP
// allocations. Only network-svc (and the migration runner) may import this lib.
import { EniAllocations1764400000000 } from './1764400000000-eni-allocations';
import { ClusterIpAllocations1764800000000 } from './1764800000000-cluster-ip-allocations';
import { ClusterIpAllocationEntity } from './cluster-ip-allocation.entity';
import { EniAllocationEntity } from './eni-allocation.entity';
import { IpamCursorEntity } from './ipam-cursor.entity';

export { ClusterIpAllocationEntity, EniAllocationEntity, IpamCursorEntity };
export const IPAM_ENTITIES = [EniAllocationEntity, IpamCursorEntity, ClusterIpAllocationEntity];
export const IPAM_MIGRATIONS = [EniAllocations1764400000000, ClusterIpAllocations1764800000000];
