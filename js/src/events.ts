/**
 * Listeners for manager events. The core collects only the event types someone listens to
 * (a bit mask), and hands them over in flat batches that are decoded here.
 */
import type { CoreModule } from './binding.js';
import { invalidArgument, type ErrorCode } from './errors.js';
import type { EventName, ManagerEvent } from './types.js';
import { EVENT } from './wire.js';

type Listener = (event: ManagerEvent) => void;

/** A once() listener's wrapper, which off() finds by the listener it was given. */
interface OnceWrapper extends Listener {
  listener: Listener;
}

/**
 * Accepted and never emitted: failures reach callers as rejections. node:events' once() and
 * on() listen for 'error' on any emitter they are given, so refusing it would break them.
 */
const NEVER_EMITTED = 'error';

export class EventHub {
  private readonly listeners = new Map<EventName | typeof NEVER_EMITTED, Set<Listener>>();
  private readonly typeBits = new Map<string, number>();

  constructor(
    private readonly core: CoreModule,
    private readonly setMask: (mask: number) => void,
    private readonly bankName: (index: number) => string,
  ) {
    core.eventTypes.forEach((name, index) => this.typeBits.set(name, 1 << index));
  }

  on(event: EventName | typeof NEVER_EMITTED, listener: Listener): void {
    if (event !== 'progress' && event !== NEVER_EMITTED && !this.typeBits.has(event)) {
      throw invalidArgument('event', `an event name (${[...this.typeBits.keys(), 'progress'].join(', ')})`, event);
    }
    if (typeof listener !== 'function') throw invalidArgument(`the ${event} listener`, 'a function', listener);
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    this.updateMask();
  }

  /** Calls `listener` for the next `event` only. */
  once(event: EventName | typeof NEVER_EMITTED, listener: Listener): void {
    if (typeof listener !== 'function') throw invalidArgument(`the ${event} listener`, 'a function', listener);
    const wrapper = ((e: ManagerEvent) => {
      this.off(event, wrapper);
      listener(e);
    }) as OnceWrapper;
    wrapper.listener = listener;
    this.on(event, wrapper);
  }

  off(event: EventName | typeof NEVER_EMITTED, listener: Listener): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    if (!set.delete(listener)) {
      for (const l of set) {
        if ((l as Partial<OnceWrapper>).listener === listener) {
          set.delete(l);
          break;
        }
      }
    }
    this.updateMask();
  }

  dispatch(events: ArrayLike<number>, metadataOf: (requestId: number) => Record<string, unknown> | undefined): void {
    const { eventTypes, errorCodes, workerStates, bankStatuses } = this.core;
    for (let i = 0; i < events.length; i += EVENT.SIZE) {
      const type = eventTypes[events[i + EVENT.type]!] as EventName;
      const set = this.listeners.get(type);
      if (!set || set.size === 0) continue;
      const requestId = events[i + EVENT.requestId]!;
      const bank = this.bankName(events[i + EVENT.bank]!);
      const worker = events[i + EVENT.worker]!;
      const error = events[i + EVENT.code]!;
      const state = events[i + EVENT.state]!;
      const event: ManagerEvent = { type, timestamp: events[i + EVENT.atMs]! };
      if (requestId !== 0) {
        event.requestId = requestId;
        event.attempt = events[i + EVENT.attempt]!;
        const metadata = metadataOf(requestId);
        if (metadata !== undefined) event.metadata = metadata;
      }
      if (type !== 'queue-drain') event.bankId = bank;
      if (worker >= 0) event.workerId = `${bank}#${worker}`;
      if (error !== 0) event.errorCode = errorCodes[error] as ErrorCode;
      if (type === 'worker-status') event.state = workerStates[state];
      if (type === 'bank-status') event.state = bankStatuses[state];
      this.emit(set, event);
    }
  }

  emitProgress(requestId: number, bankId: string, worker: number, value: unknown, timestamp: number, metadata?: Record<string, unknown>): void {
    const set = this.listeners.get('progress');
    if (!set || set.size === 0) return;
    const event: ManagerEvent = { type: 'progress', timestamp, requestId, bankId, workerId: `${bankId}#${worker}`, value };
    if (metadata !== undefined) event.metadata = metadata;
    this.emit(set, event);
  }

  private emit(set: Set<Listener>, event: ManagerEvent): void {
    for (const listener of set) {
      // A throwing listener must not break delivery to the others, nor the manager's loop.
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private updateMask(): void {
    let mask = 0;
    for (const [name, set] of this.listeners) {
      if (set.size > 0) mask |= this.typeBits.get(name) ?? 0;
    }
    this.setMask(mask);
  }
}
