import { Foundation1764320000000 } from './1764320000000-foundation';

/** Every migration, in order. The data source takes this list; there is no glob to go stale. */
export const migrations = [Foundation1764320000000];
