/**
 * Types for worker scripts written from the template (worker-scripts/template.js). Shared by
 * the worker_threads and the Web Worker entry points, so a handler map typed once works in
 * both, and by the manager, so callers can name a worker's params and results.
 */

/**
 * An object postMessage moves rather than copies (ArrayBuffer, MessagePort, ImageBitmap, ...).
 * Not lib.dom's `Transferable`: the declarations must type-check in a Node project without
 * DOM types (lib es2022 + @types/node). The platform's postMessage refuses what it cannot
 * transfer.
 */
export type TransferableObject = object;

/** What a handler receives besides its params. */
export interface HandlerContext {
  /**
   * Aborted when the request is cancelled (its reason is an Error named 'AbortError' with
   * code 'E_CANCELLED'). A long handler should check it, or pass it on to fetch() and
   * friends; one that ignores it is terminated with its worker after a grace period.
   */
  readonly signal: AbortSignal;
  /**
   * Sends a structured-cloneable value to the manager's progress listeners for this
   * request. Throws (code 'E_HANDLER') if the value cannot be cloned.
   */
  progress(value: unknown): void;
  /** The request's id, the same the manager returns and reports in events. */
  readonly requestId: number;
  /** 1 on the first try, then 2, 3... when a retryable action is retried. */
  readonly attempt: number;
  /** The action (handler name) being run. */
  readonly action: string;
}

// Params are whatever the caller sent, so a handler declares its own parameter type; `any`
// (not `unknown`) here is what lets `({ a, b }: { a: number; b: number }) => ...` fit.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<P = any, R = unknown> = (params: P, ctx: HandlerContext) => R | PromiseLike<R>;

/** The object passed to defineWorker(): action name -> handler. */
export type HandlerMap = Record<string, Handler>;

/** The action names a handler map defines. */
export type ActionsOf<H extends HandlerMap> = Extract<keyof H, string>;

/** The params an action takes. */
export type ParamsOf<H extends HandlerMap, A extends ActionsOf<H>> = Parameters<H[A]>[0];

/** What an action resolves with (promises unwrapped). */
export type ResultOf<H extends HandlerMap, A extends ActionsOf<H>> = Awaited<ReturnType<H[A]>>;

/**
 * Every action of a handler map with its params and result, for typing a client:
 * `WorkerActions<typeof handlers>['add']` is `{ params: { a: number; b: number }; result: ... }`.
 */
export type WorkerActions<H extends HandlerMap> = {
  [A in ActionsOf<H>]: { params: ParamsOf<H, A>; result: ResultOf<H, A> };
};
