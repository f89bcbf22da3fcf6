/**
 * Progress of a long ops command (redrive, replay, erase): on a terminal one line that updates in place
 * (`\r`, at most ten times a second), piped or redirected a plain line every few seconds, so a log file
 * gets a readable trail instead of control characters. Count, rate and, when the total is known, ETA.
 * No stream (the default of `runOpsCommand`, i.e. tests and library use): silent.
 */

/** Where progress goes: `process.stdout` in `npm run ops`, a fake in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  /** Whether the stream is a terminal (`process.stdout.isTTY`): one updating line instead of plain lines. */
  readonly isTTY?: boolean;
}

export interface ProgressOptions {
  /** @default undefined — silent */
  readonly stream?: ProgressStream;
  /** Clock, epoch ms (tests). @default Date.now */
  readonly now?: () => number;
  /** Smallest interval between two plain lines when not on a terminal. @default 2000 */
  readonly plainIntervalMs?: number;
  /** Smallest interval between two redraws on a terminal. @default 100 */
  readonly ttyIntervalMs?: number;
}

const seconds = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
};

export class Progress {
  readonly #label: string;
  readonly #stream: ProgressStream | undefined;
  readonly #now: () => number;
  readonly #interval: number;
  readonly #started: number;
  #total: number | undefined;
  #count = 0;
  #lastDraw = 0;
  #drawn = false;

  constructor(label: string, total: number | undefined, options: ProgressOptions = {}) {
    this.#label = label;
    this.#stream = options.stream;
    this.#now = options.now ?? Date.now;
    this.#interval = options.stream?.isTTY
      ? (options.ttyIntervalMs ?? 100)
      : (options.plainIntervalMs ?? 2000);
    this.#started = this.#now();
    this.#total = total;
  }

  get count(): number {
    return this.#count;
  }

  /** The total became known (or changed: a listing grew). */
  setTotal(total: number | undefined): void {
    this.#total = total;
  }

  /** `n` more items done. */
  tick(n = 1): void {
    this.#count += n;
    const now = this.#now();
    if (now - this.#lastDraw >= this.#interval) this.#draw(now, false);
  }

  /** The last line (always drawn, ends with a newline). */
  done(suffix = 'done'): void {
    this.#draw(this.#now(), true, suffix);
  }

  /** The line as drawn now (tests read it). */
  line(now: number = this.#now(), suffix?: string): string {
    const elapsed = now - this.#started;
    const rate = elapsed > 0 ? (this.#count * 1000) / elapsed : 0;
    const total = this.#total;
    const parts = [
      total === undefined ? `${this.#count}` : `${this.#count}/${total}`,
      `${rate.toFixed(1)}/s`,
    ];
    if (suffix !== undefined) parts.push(`${suffix} in ${seconds(elapsed)}`);
    else if (total !== undefined && rate > 0)
      parts.push(`ETA ${seconds(((total - this.#count) / rate) * 1000)}`);
    return `${this.#label}: ${parts.join(', ')}`;
  }

  #draw(now: number, final: boolean, suffix?: string): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    // Nothing happened and nothing was shown: a command that had nothing to do prints no progress at all.
    if (final && !this.#drawn && this.#count === 0) return;
    this.#lastDraw = now;
    this.#drawn = true;
    const text = this.line(now, final ? suffix : undefined);
    // `\r` + erase line: the line is redrawn in place; the final one is kept, with a newline.
    if (stream.isTTY) stream.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else stream.write(`${text}\n`);
  }
}
