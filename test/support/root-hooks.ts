import { startTestDatabase, testDatabase } from './database';
import { removeTestDataDir } from './service';

/** Mocha root hooks: one database for the whole run, migrated from empty. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await startTestDatabase();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await testDatabase().stop();
    await removeTestDataDir();
  },
};
