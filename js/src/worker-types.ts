/** Types for worker scripts written from the template. */

export interface HandlerContext {
  /** Aborted when the request is cancelled; long handlers should watch it. */
  signal: AbortSignal;
  /** Reports progress to the manager's 'progress' listeners. */
  progress(value: unknown): void;
  requestId: number;
  attempt: number;
  action: string;
}

// Params are whatever the caller sent, so handlers declare their own parameter type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<P = any, R = unknown> = (params: P, ctx: HandlerContext) => R | Promise<R>;

export type HandlerMap = Record<string, Handler>;
