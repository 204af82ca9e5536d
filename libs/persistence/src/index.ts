export * from './data-source';
export * from './entities/object-change.entity';
export * from './entities/resource-version-counter.entity';
export * from './entities/stored-object.entity';
