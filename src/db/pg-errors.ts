/**
 * The unique constraint a PostgreSQL error violated (SQLSTATE 23505), as
 * TypeORM wraps it; undefined for any other error. Repositories turn it into
 * their own error so that nothing above the database sees driver details.
 */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const driver = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driver?.code === '23505' ? (driver.constraint ?? '') : undefined;
}
