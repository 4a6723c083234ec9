/** Shapes every admin route shares: errors, timestamps, and the list envelope. */
import { Type, type TSchema } from 'typebox';
import { ProblemReply } from '../passwordless.ts';

export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/** The errors any authenticated admin route can answer: no key or a bad one, a missing scope, and the service being down. */
export const ADMIN_AUTH_RESPONSES = { 401: ProblemReply, 403: ProblemReply, 503: ProblemReply };

/** `{ data, next_cursor }`: a page of a list; `next_cursor` is null on the last page. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });
}

/** `limit` (1–200, default 50) and an opaque `cursor`, taken by every list endpoint. */
export const PageQuery = {
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
};

export { ProblemReply };
