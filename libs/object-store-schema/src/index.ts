// The API server's tables: every object, the change log (outbox and watch history), the
// resourceVersion counter. Only api-gateway (and the migration runner) may import this lib.
import { ObjectStore1764129600000 } from './1764129600000-object-store';
import { ObjectChangeEntity } from './object-change.entity';
import { ResourceVersionCounterEntity } from './resource-version-counter.entity';
import { StoredObjectEntity } from './stored-object.entity';

export { ObjectChangeEntity, ResourceVersionCounterEntity, StoredObjectEntity };
export const OBJECT_STORE_ENTITIES = [StoredObjectEntity, ObjectChangeEntity, ResourceVersionCounterEntity];
export const OBJECT_STORE_MIGRATIONS = [ObjectStore1764129600000];
