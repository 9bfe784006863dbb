/**
 * Submissions gathered over one turn of the event loop and handed to the core in one call
 * (NativeEngine.submitMany): one crossing and one lock for the lot instead of one each.
 * With tiny native tasks the per-submit crossing, and the native threads waiting on the
 * core's lock meanwhile, were the largest cost on the main thread.
 */
import type { NativeEngine } from './binding.js';

/** Numbers per submit in `numbers`: priority, timeoutMs, retries, payloadBytes. */
const NUMBERS = 4;

export class SubmitBatch<Entry> {
  private entries: Entry[] = [];
  private tasks: string[] = [];
  private params: unknown[] = [];
  private numbers = new Float64Array(NUMBERS * 64);
  private ids = new Float64Array(64);
  /** Only made once some submit names a client or pins a bank. */
  private clients: (string | undefined)[] | undefined;
  private banks: (string | undefined)[] | undefined;

  get size(): number {
    return this.entries.length;
  }

  add(entry: Entry, task: string, params: unknown, priority: number, timeoutMs: number, retries: number, clientId: string | undefined, bankId: string | undefined, payloadBytes: number): void {
    const i = this.entries.length;
    if ((i + 1) * NUMBERS > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.entries.push(entry);
    this.tasks.push(task);
    this.params.push(params);
    const at = i * NUMBERS;
    this.numbers[at] = priority;
    this.numbers[at + 1] = timeoutMs;
    this.numbers[at + 2] = retries;
    this.numbers[at + 3] = payloadBytes;
    if (clientId !== undefined || this.clients !== undefined) (this.clients ??= new Array<string | undefined>(i)).push(clientId);
    if (bankId !== undefined || this.banks !== undefined) (this.banks ??= new Array<string | undefined>(i)).push(bankId);
  }

  /**
   * Submits everything gathered, in order, and empties the batch (before any callback, so
   * a callback may add to it for the next call). Throws only if the call itself fails.
   */
  submit(engine: NativeEngine, accepted: (entry: Entry, id: number) => void, refused: (entry: Entry, error: unknown) => void): void {
    const { entries, tasks, params, clients, banks } = this;
    if (entries.length === 0) return;
    if (this.ids.length < entries.length) this.ids = new Float64Array(this.numbers.length / NUMBERS);
    const ids = this.ids;
    this.entries = [];
    this.tasks = [];
    this.params = [];
    this.clients = undefined;
    this.banks = undefined;
    const errors = engine.submitMany(tasks, params, this.numbers, clients, banks, ids);
    for (let i = 0; i < entries.length; i++) {
      const error = errors?.[i];
      if (error === undefined) accepted(entries[i]!, ids[i]!);
      else refused(entries[i]!, error);
    }
  }
}
