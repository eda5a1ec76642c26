// Items handed from a producer (notifications, events) to one consumer that iterates them at its
// own pace: kept in order until taken; the iteration ends when the queue is ended, with its error
// if it was given one.
export class AsyncQueue<T> {
  readonly #items: T[] = [];
  #end: { error: Error | null } | null = null;
  #wake: (() => void) | null = null;

  get isEnded(): boolean {
    return this.#end !== null;
  }

  push(item: T): void {
    if (this.#end) return;
    this.#items.push(item);
    this.#wake?.();
  }

  /** No more items: the consumer takes what is queued, then stops (throwing `error` if given). */
  end(error: Error | null = null): void {
    this.#end ??= { error };
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#items.length > 0) {
        yield this.#items.shift() as T;
        continue;
      }
      if (this.#end) {
        if (this.#end.error) throw this.#end.error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
  }
}
