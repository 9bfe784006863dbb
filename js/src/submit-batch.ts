/**
 * Submissions gathered over one turn of the event loop and handed to the core in one call
 * (NativeEngine.submitMany): one crossing and one lock for the lot instead of one each.
 * With tiny native tasks the per-submit crossing, and the native threads waiting on the
 * core's lock meanwhile, were the largest cost on the main thread. Inside the call the
 * addon reads as little per submit as it can: numbers from one Float64Array, the task by
 * its index, params from one string of JSON texts.
 */
import type { NativeEngine } from './binding.js';
import { SUBMIT } from './wire.js';

/** Joins the params texts of a batch; JSON text never holds it raw (JSON.stringify escapes it). */
export const PARAMS_SEPARATOR = '\0';

export class SubmitBatch<Entry> {
  private entries: Entry[] = [];
  private tasks: string[] = [];
  /** Each submit's params as JSON text, '' when they cross as a value or not at all. */
  private texts: string[] = [];
  /** Only made once some submit's params cross as a value (not plain data). */
  private values: unknown[] | undefined;
  private numbers = new Float64Array(SUBMIT.SIZE * 64);
  private ids = new Float64Array(64);
  /** Only made once some submit names a client or pins a bank. */
  private clients: (string | undefined)[] | undefined;
  private banks: (string | undefined)[] | undefined;

  get size(): number {
    return this.entries.length;
  }

  /**
   * @param taskIndex the core's index for `task` (NativeEngine.taskIndex), -1 if unknown
   * @param params JSON text (params-walk.ts), a value, or undefined
   */
  add(entry: Entry, task: string, taskIndex: number, params: unknown, priority: number, timeoutMs: number, retries: number, clientId: string | undefined, bankId: string | undefined, payloadBytes: number): void {
    const i = this.entries.length;
    if ((i + 1) * SUBMIT.SIZE > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.entries.push(entry);
    this.tasks.push(task);
    if (typeof params === 'string') {
      this.texts.push(params);
    } else {
      this.texts.push('');
      if (params !== undefined) (this.values ??= [])[i] = params;
    }
    const at = i * SUBMIT.SIZE;
    this.numbers[at + SUBMIT.taskIndex] = taskIndex;
    this.numbers[at + SUBMIT.priority] = priority;
    this.numbers[at + SUBMIT.timeoutMs] = timeoutMs;
    this.numbers[at + SUBMIT.retries] = retries;
    this.numbers[at + SUBMIT.payloadBytes] = payloadBytes;
    if (clientId !== undefined) (this.clients ??= [])[i] = clientId;
    if (bankId !== undefined) (this.banks ??= [])[i] = bankId;
  }

  /**
   * Submits everything gathered, in order, and empties the batch (before any callback, so
   * a callback may add to it for the next call). Throws only if the call itself fails.
   * `waitForRoom`: see NativeEngine.submitMany.
   */
  submit(engine: NativeEngine, waitForRoom: boolean, accepted: (entry: Entry, id: number) => void, refused: (entry: Entry, error: unknown) => void): void {
    const { entries, tasks, texts, values, clients, banks } = this;
    if (entries.length === 0) return;
    if (this.ids.length < entries.length) this.ids = new Float64Array(this.numbers.length / SUBMIT.SIZE);
    const ids = this.ids;
    this.entries = [];
    this.tasks = [];
    this.texts = [];
    this.values = undefined;
    this.clients = undefined;
    this.banks = undefined;
    const errors = engine.submitMany(tasks, texts.join(PARAMS_SEPARATOR), values, this.numbers, clients, banks, ids, waitForRoom);
    for (let i = 0; i < entries.length; i++) {
      const error = errors?.[i];
      if (error === undefined) accepted(entries[i]!, ids[i]!);
      else refused(entries[i]!, error);
    }
  }
}
