/** Request and response shapes of /admin/webhooks. */
import { Type } from 'typebox';
import { NullableTimestamp, Page, PageQuery, Timestamp } from './common.ts';

const EventList = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 32 });

export const WebhookIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const DeliveryIdParams = Type.Object({ id: Type.String({ maxLength: 64 }), delivery_id: Type.String({ maxLength: 64 }) });

export const CreateWebhookBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  events: EventList,
  enabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const UpdateWebhookBody = Type.Object({
  url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  events: Type.Optional(EventList),
  enabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** Only the create answer carries the secret, and only this once. */
export const CreatedWebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
  secret: Type.String(),
});

export const WebhookPage = Page(WebhookView);

export const DeliveryView = Type.Object({
  id: Type.String(),
  event_type: Type.String(),
  status: Type.String(),
  created_at: Timestamp,
  next_attempt_at: NullableTimestamp,
  finished_at: NullableTimestamp,
  attempts: Type.Array(Type.Object({
    attempted_at: Timestamp,
    status: Type.Union([Type.Integer(), Type.Null()]),
    duration_ms: Type.Integer(),
    error: Type.Union([Type.String(), Type.Null()]),
  })),
});

export const DeliveryPage = Page(DeliveryView);

export const ListQuery = Type.Object(PageQuery);
