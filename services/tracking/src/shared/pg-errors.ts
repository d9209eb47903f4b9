/** Postgres unique_violation: a concurrent writer won the race for a unique name. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}
