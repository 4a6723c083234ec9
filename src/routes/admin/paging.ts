/** The list endpoints' `limit`: 1 to 200, default 50; anything else is `400 invalid_query`. */
import { AppError } from '../../errors.ts';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

export function pageLimit(limit: string | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  const value = Number(limit);
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_LIMIT) throw new AppError('invalid_query');
  return value;
}
