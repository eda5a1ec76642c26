// cp's progress on stderr: one line redrawn in place, only when stderr is a terminal and the
// transfer is large (past LARGE_BYTES); otherwise only its notes (skipped files) are printed.

export const LARGE_BYTES = 1024 * 1024;
const WIDTH = 30;

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export class Progress {
  readonly #stream: ProgressStream;
  readonly #isShown: boolean;
  #files = 0;
  #bytes = 0;
  #fileBytes = 0;
  #fileDone = 0;
  #isDrawn = false;
  #drawnAt = 0;

  constructor(stream: ProgressStream) {
    this.#stream = stream;
    this.#isShown = stream.isTTY === true;
  }

  /** A file of `bytes` was read and is about to be written. */
  read(bytes: number): void {
    this.#files++;
    this.#fileBytes = bytes;
    this.#fileDone = 0;
    this.#draw(false);
  }

  wrote(bytes: number): void {
    this.#fileDone += bytes;
    this.#bytes += bytes;
    this.#draw(this.#fileDone >= this.#fileBytes);
  }

  /** A line of its own (the bar is redrawn below it). */
  note(line: string): void {
    this.#clear();
    this.#stream.write(`${line}\n`);
  }

  /** The final line stays; nothing is left half drawn. */
  done(): void {
    if (this.#isDrawn) this.#stream.write("\n");
    this.#isDrawn = false;
  }

  /** The line as drawn now (exposed for its test). */
  line(): string {
    const share = this.#fileBytes > 0 ? Math.min(1, this.#fileDone / this.#fileBytes) : 1;
    const filled = Math.round(share * WIDTH);
    const bar = `[${"#".repeat(filled)}${" ".repeat(WIDTH - filled)}] ${String(Math.round(share * 100)).padStart(3)}%`;
    const files = `${this.#files} file${this.#files === 1 ? "" : "s"}`;
    return `${bar} ${megabytes(this.#bytes)}, ${files}`;
  }

  #draw(isForced: boolean): void {
    if (!this.#isShown || this.#bytes + this.#fileBytes < LARGE_BYTES) return;
    const now = performance.now();
    // Redrawing on every chunk would cost more than the copy: ten times a second is enough.
    if (!isForced && this.#isDrawn && now - this.#drawnAt < 100) return;
    this.#drawnAt = now;
    this.#stream.write(`\r${this.line()}\u001b[K`);
    this.#isDrawn = true;
  }

  #clear(): void {
    if (this.#isDrawn) this.#stream.write("\r\u001b[K");
    this.#isDrawn = false;
  }
}
