/** An RFC 9457 problem answered by the API (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: Record<string, string[]> | null;
  readonly retryAfter: number | null;
  readonly traceId: string | null;

  constructor({ status, code, title, detail, errors = null, retryAfter = null, traceId = null }: {
    status: number; code: string; title: string; detail: string;
    errors?: Record<string, string[]> | null; retryAfter?: number | null; traceId?: string | null;
  }) {
    super(detail || title || code);
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.retryAfter = retryAfter;
    this.traceId = traceId;
  }
}

/** The session ended (revoked, expired, logged out elsewhere); the app has already gone to the sign-in page. */
export class SessionEnded extends Error {}
