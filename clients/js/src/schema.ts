// Generated from Sesame's OpenAPI document by `npm run client:types` (openapi-typescript). Do not edit.

export interface paths {
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This OpenAPI 3.1 document */
        get: operations["getOpenapiJson"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["getHealthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: PostgreSQL and the rate-limit store answer, and no SIGTERM arrived */
        get: operations["getReadyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/.well-known/jwks.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The public signing keys (JWKS), for verifying access tokens offline */
        get: operations["getWellKnownJwksJson"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/.well-known/openid-configuration": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** OpenID Connect discovery metadata */
        get: operations["getWellKnownOpenidConfiguration"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/passwordless/request/email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postPasswordlessRequestEmail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/passwordless/request/mobile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postPasswordlessRequestMobile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/passwordless/exchange/email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postPasswordlessExchangeEmail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/passwordless/exchange/mobile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postPasswordlessExchangeMobile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/passwordless/exchange/standalone": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postPasswordlessExchangeStandalone"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/token/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postTokenRefresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/token/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postTokenRevoke"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch: operations["patchMe"];
        trace?: never;
    };
    "/me/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["getMeSessions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete: operations["deleteMeSessionsById"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postLogout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/logout/all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postLogoutAll"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postMeEmail"];
        delete: operations["deleteMeEmail"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/phone_number": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postMePhoneNumber"];
        delete: operations["deleteMePhoneNumber"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/email/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postMeEmailVerify"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/phone_number/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postMePhoneNumberVerify"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/passkeys/options": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postMePasskeysOptions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/passkeys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["getMePasskeys"];
        put?: never;
        post: operations["postMePasskeys"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/passkeys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete: operations["deleteMePasskeysById"];
        options?: never;
        head?: never;
        patch: operations["patchMePasskeysById"];
        trace?: never;
    };
    "/passkeys/authenticate/options": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postPasskeysAuthenticateOptions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/passkeys/authenticate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["postPasskeysAuthenticate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description An RFC 9457 problem document. Branch on `code`; the table of codes is src/errors.ts. */
        Problem: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @enum {integer} */
            status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;
            /** @enum {string} */
            code: "invalid_request" | "invalid_email" | "invalid_phone_number" | "invalid_locale" | "invalid_client" | "origin_not_allowed" | "method_not_allowed" | "invalid_token" | "invalid_access_token" | "reauthentication_required" | "last_sign_in_method" | "invalid_api_key" | "invalid_metrics_token" | "insufficient_scope" | "keys_managed_by_operator" | "invalid_query" | "invalid_cursor" | "invalid_metadata" | "identifier_required" | "user_exists" | "invalid_client_settings" | "client_exists" | "user_disabled" | "invalid_passkey" | "throttled" | "rate_limited" | "not_found" | "payload_too_large" | "unsupported_media_type" | "overloaded" | "service_unavailable" | "invalid_webhook_url" | "invalid_webhook_events" | "webhook_not_found" | "webhook_delivery_not_found" | "hook_unavailable" | "internal_error";
        };
        /** @description A problem answered with status 400: `invalid_request` (Invalid request), `invalid_email` (Invalid email), `invalid_phone_number` (Invalid phone number), `invalid_locale` (Invalid locale), `invalid_client` (Invalid client), `method_not_allowed` (Method not allowed), `invalid_token` (Invalid token), `last_sign_in_method` (Last sign-in method), `invalid_query` (Invalid query), `invalid_cursor` (Invalid cursor), `invalid_metadata` (Invalid metadata), `identifier_required` (Identifier required), `invalid_client_settings` (Invalid client settings), `invalid_passkey` (Invalid passkey), `invalid_webhook_url` (Invalid webhook URL), `invalid_webhook_events` (Invalid webhook events). */
        Problem400: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 400;
            /** @enum {string} */
            code: "invalid_request" | "invalid_email" | "invalid_phone_number" | "invalid_locale" | "invalid_client" | "method_not_allowed" | "invalid_token" | "last_sign_in_method" | "invalid_query" | "invalid_cursor" | "invalid_metadata" | "identifier_required" | "invalid_client_settings" | "invalid_passkey" | "invalid_webhook_url" | "invalid_webhook_events";
        };
        /** @description A problem answered with status 401: `invalid_access_token` (Unauthorized), `reauthentication_required` (Reauthentication required), `invalid_api_key` (Unauthorized), `invalid_metrics_token` (Unauthorized). */
        Problem401: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 401;
            /** @enum {string} */
            code: "invalid_access_token" | "reauthentication_required" | "invalid_api_key" | "invalid_metrics_token";
        };
        /** @description A problem answered with status 403: `origin_not_allowed` (Origin not allowed), `insufficient_scope` (Insufficient scope). */
        Problem403: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 403;
            /** @enum {string} */
            code: "origin_not_allowed" | "insufficient_scope";
        };
        /** @description A problem answered with status 404: `not_found` (Not found), `webhook_not_found` (Not found), `webhook_delivery_not_found` (Not found). */
        Problem404: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 404;
            /** @enum {string} */
            code: "not_found" | "webhook_not_found" | "webhook_delivery_not_found";
        };
        /** @description A problem answered with status 409: `keys_managed_by_operator` (Keys managed by the operator), `user_exists` (User exists), `client_exists` (Client exists), `user_disabled` (User disabled). */
        Problem409: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 409;
            /** @enum {string} */
            code: "keys_managed_by_operator" | "user_exists" | "client_exists" | "user_disabled";
        };
        /** @description A problem answered with status 413: `payload_too_large` (Payload too large). */
        Problem413: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 413;
            /** @enum {string} */
            code: "payload_too_large";
        };
        /** @description A problem answered with status 415: `unsupported_media_type` (Unsupported media type). */
        Problem415: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 415;
            /** @enum {string} */
            code: "unsupported_media_type";
        };
        /** @description A problem answered with status 429: `throttled` (Too many requests), `rate_limited` (Too many requests). */
        Problem429: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 429;
            /** @enum {string} */
            code: "throttled" | "rate_limited";
        };
        /** @description A problem answered with status 500: `internal_error` (Internal error). */
        Problem500: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 500;
            /** @enum {string} */
            code: "internal_error";
        };
        /** @description A problem answered with status 503: `overloaded` (Overloaded), `service_unavailable` (Service unavailable), `hook_unavailable` (Hook unavailable). */
        Problem503: {
            /** @description Always `about:blank`: the `code` is the stable identifier. */
            type: string;
            title: string;
            /** @description A public sentence; never carries an identifier, a code or a token. */
            detail: string;
            /** @description One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise. */
            errors?: {
                field: string;
                message: string;
            }[];
            /** @constant */
            status: 503;
            /** @enum {string} */
            code: "overloaded" | "service_unavailable" | "hook_unavailable";
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getOpenapiJson: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    getHealthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                    };
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
        };
    };
    getReadyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ready";
                    };
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    getWellKnownJwksJson: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/jwk-set+json": {
                        keys: ({
                            kty: string;
                            kid: string;
                            alg: string;
                            use: string;
                        } & {
                            [key: string]: unknown;
                        })[];
                    };
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    getWellKnownOpenidConfiguration: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        issuer: string;
                        jwks_uri: string;
                        token_endpoint: string;
                        revocation_endpoint: string;
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postPasswordlessRequestEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    locale?: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postPasswordlessRequestMobile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    phone_number: string;
                    locale?: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postPasswordlessExchangeEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    token: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    /** @description For a client in cookie mode only (`refresh_token_delivery = cookie`): the refresh token, which the body then leaves out. `__Host-sesame_refresh=<token>; Max-Age=<seconds left in the session>; Path=/; HttpOnly; Secure; SameSite=Strict`. */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        access_token: string;
                        /** @enum {string} */
                        token_type: "Bearer";
                        expires_in: number;
                        refresh_token?: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postPasswordlessExchangeMobile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    phone_number: string;
                    token: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    /** @description For a client in cookie mode only (`refresh_token_delivery = cookie`): the refresh token, which the body then leaves out. `__Host-sesame_refresh=<token>; Max-Age=<seconds left in the session>; Path=/; HttpOnly; Secure; SameSite=Strict`. */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        access_token: string;
                        /** @enum {string} */
                        token_type: "Bearer";
                        expires_in: number;
                        refresh_token?: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postPasswordlessExchangeStandalone: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    /** @description For a client in cookie mode only (`refresh_token_delivery = cookie`): the refresh token, which the body then leaves out. `__Host-sesame_refresh=<token>; Max-Age=<seconds left in the session>; Path=/; HttpOnly; Secure; SameSite=Strict`. */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        access_token: string;
                        /** @enum {string} */
                        token_type: "Bearer";
                        expires_in: number;
                        refresh_token?: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postTokenRefresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    refresh_token?: string;
                    /** @enum {string} */
                    grant_type?: "refresh_token";
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    /** @description For a client in cookie mode only (`refresh_token_delivery = cookie`): the refresh token, which the body then leaves out. `__Host-sesame_refresh=<token>; Max-Age=<seconds left in the session>; Path=/; HttpOnly; Secure; SameSite=Strict`. */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        access_token: string;
                        /** @enum {string} */
                        token_type: "Bearer";
                        expires_in: number;
                        refresh_token?: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    /** @description Drops the refresh cookie when the call carried it or its client is in cookie mode: `__Host-sesame_refresh=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`. */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postTokenRevoke: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token?: string;
                    refresh_token?: string;
                    token_type_hint?: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description The JSON value null */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": null;
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        email: string | null;
                        phone_number: string | null;
                        email_verified: boolean;
                        phone_number_verified: boolean;
                        /** Format: date-time */
                        created_at: string;
                        last_login_at: string | null;
                        auth_time: number | null;
                        amr: string[];
                        app_metadata: {
                            [key: string]: unknown;
                        };
                        user_metadata: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    patchMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    user_metadata: {
                        [key: string]: unknown;
                    };
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        email: string | null;
                        phone_number: string | null;
                        email_verified: boolean;
                        phone_number_verified: boolean;
                        /** Format: date-time */
                        created_at: string;
                        last_login_at: string | null;
                        auth_time: number | null;
                        amr: string[];
                        app_metadata: {
                            [key: string]: unknown;
                        };
                        user_metadata: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    getMeSessions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        sessions: {
                            id: string;
                            /** Format: date-time */
                            created_at: string;
                            /** Format: date-time */
                            last_used_at: string;
                            /** Format: date-time */
                            expires_at: string;
                            ip: string | null;
                            user_agent: string | null;
                            current: boolean;
                        }[];
                    };
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    deleteMeSessionsById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem404"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postLogout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    refresh_token?: string;
                    client_id?: string;
                } | null;
            };
        };
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    /** @description Drops the refresh cookie when the call carried it or its client is in cookie mode: `__Host-sesame_refresh=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`. */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postLogoutAll: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postMeEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    locale?: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    deleteMeEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem404"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postMePhoneNumber: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    phone_number: string;
                    locale?: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    deleteMePhoneNumber: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem404"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postMeEmailVerify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    token: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        email: string | null;
                        phone_number: string | null;
                        email_verified: boolean;
                        phone_number_verified: boolean;
                        /** Format: date-time */
                        created_at: string;
                        last_login_at: string | null;
                        auth_time: number | null;
                        amr: string[];
                        app_metadata: {
                            [key: string]: unknown;
                        };
                        user_metadata: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postMePhoneNumberVerify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    phone_number: string;
                    token: string;
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        email: string | null;
                        phone_number: string | null;
                        email_verified: boolean;
                        phone_number_verified: boolean;
                        /** Format: date-time */
                        created_at: string;
                        last_login_at: string | null;
                        auth_time: number | null;
                        amr: string[];
                        app_metadata: {
                            [key: string]: unknown;
                        };
                        user_metadata: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postMePasskeysOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    getMePasskeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        passkeys: {
                            id: string;
                            name: string;
                            /** Format: date-time */
                            created_at: string;
                            last_used_at: string | null;
                            backed_up: boolean;
                        }[];
                    };
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postMePasskeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    response: {
                        id: string;
                        rawId: string;
                        /** @enum {string} */
                        type: "public-key";
                        response: {
                            clientDataJSON: string;
                            attestationObject?: string;
                            authenticatorData?: string;
                            signature?: string;
                            userHandle?: string;
                            transports?: string[];
                        } & {
                            [key: string]: unknown;
                        };
                        clientExtensionResults?: {
                            [key: string]: unknown;
                        };
                        authenticatorAttachment?: string;
                    } & {
                        [key: string]: unknown;
                    };
                    name?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        name: string;
                        /** Format: date-time */
                        created_at: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    deleteMePasskeysById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem404"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    patchMePasskeysById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        name: string;
                        /** Format: date-time */
                        created_at: string;
                        last_used_at: string | null;
                        backed_up: boolean;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Unauthorized / Reauthentication required */
            401: {
                headers: {
                    /** @description The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or `error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in. */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem401"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem404"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postPasskeysAuthenticateOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    client_id?: string;
                } | null;
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
    postPasskeysAuthenticate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    response: {
                        id: string;
                        rawId: string;
                        /** @enum {string} */
                        type: "public-key";
                        response: {
                            clientDataJSON: string;
                            attestationObject?: string;
                            authenticatorData?: string;
                            signature?: string;
                            userHandle?: string;
                            transports?: string[];
                        } & {
                            [key: string]: unknown;
                        };
                        clientExtensionResults?: {
                            [key: string]: unknown;
                        };
                        authenticatorAttachment?: string;
                    } & {
                        [key: string]: unknown;
                    };
                    client_id?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    /** @description For a client in cookie mode only (`refresh_token_delivery = cookie`): the refresh token, which the body then leaves out. `__Host-sesame_refresh=<token>; Max-Age=<seconds left in the session>; Path=/; HttpOnly; Secure; SameSite=Strict`. */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        access_token: string;
                        /** @enum {string} */
                        token_type: "Bearer";
                        expires_in: number;
                        refresh_token?: string;
                    };
                };
            };
            /** @description Invalid request / Invalid email / Invalid phone number / Invalid locale / Invalid client / Method not allowed / Invalid token / Last sign-in method / Invalid query / Invalid cursor / Invalid metadata / Identifier required / Invalid client settings / Invalid passkey / Invalid webhook URL / Invalid webhook events */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem400"];
                };
            };
            /** @description Origin not allowed / Insufficient scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem403"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem413"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem415"];
                };
            };
            /** @description Too many requests */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem429"];
                };
            };
            /** @description Internal error */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem500"];
                };
            };
            /** @description Overloaded / Service unavailable / Hook unavailable */
            503: {
                headers: {
                    /** @description With `overloaded` only: seconds to wait before asking for a code again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem503"];
                };
            };
        };
    };
}
