/**
 * The wire: every run of numbers that crosses between JS and a compiled core, as the names
 * of its fields in order. bindings/shared/views.h declares the same table, each loaded core
 * exports it (`CoreModule.wire`), and tests/js/wire.test.ts fails if the two disagree.
 * Readers use the offsets derived here by name, never a literal position.
 */
export const WIRE = {
  /** The outbox's header: how many of each record follow, in this order. */
  outboxHeader: ['dispatches', 'aborts', 'settlements', 'events'],
  /** `action`: its index in the bank's manifest. */
  dispatch: ['requestId', 'attempt', 'bank', 'worker', 'action'],
  abort: ['requestId', 'attempt', 'bank', 'worker', 'timedOut'],
  settled: ['requestId', 'code'],
  event: ['type', 'atMs', 'requestId', 'bank', 'worker', 'attempt', 'code', 'state'],
  /** completeBatch's numbers per result; the core writes `accepted` back. */
  complete: ['requestId', 'attempt', 'code', 'runMs', 'accepted'],
  /** submitMany's numbers per submit (timeoutMs and retries below 0: the defaults). */
  submit: ['taskIndex', 'priority', 'timeoutMs', 'retries', 'payloadBytes'],
} as const;

export type Wire = { readonly [K in keyof typeof WIRE]: readonly string[] };

type Offsets<Fields extends readonly string[]> = { readonly [I in keyof Fields & `${number}` as Fields[I] & string]: number } & { readonly SIZE: number };

function offsets<Fields extends readonly string[]>(fields: Fields): Offsets<Fields> {
  const out: Record<string, number> = { SIZE: fields.length };
  fields.forEach((field, index) => (out[field] = index));
  return out as Offsets<Fields>;
}

/** Offsets of each record's fields, and its size in numbers (SIZE). */
export const OUTBOX_HEADER = offsets(WIRE.outboxHeader);
export const DISPATCH = offsets(WIRE.dispatch);
export const ABORT = offsets(WIRE.abort);
export const SETTLED = offsets(WIRE.settled);
export const EVENT = offsets(WIRE.event);
export const COMPLETE = offsets(WIRE.complete);
export const SUBMIT = offsets(WIRE.submit);
