export * from './data-source';
export * from './entities/eni-allocation.entity';
export * from './entities/ipam-cursor.entity';
export * from './entities/object-change.entity';
export * from './entities/resource-version-counter.entity';
export * from './entities/stored-object.entity';
