/**
 * A terminal progress bar for training loops: iteration/total, percent, elapsed and ETA, and any
 * key figures (`success=0.42`). On a terminal it redraws one line with `\r`; otherwise (CI, a
 * file) it prints a full line at most every `intervalS` seconds, plus the last one.
 *
 * @module
 */

/** Where the bar writes (default: standard error). */
export interface ProgressSink {
  /** Write text. */
  write(text: string): void;
  /** Whether the sink is an interactive terminal. */
  isTerminal(): boolean;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Number of iterations in all. */
  total: number;
  /** Word shown first (e.g. `train`). */
  label?: string;
  /** Bar width in characters (default 24). */
  width?: number;
  /** Seconds between lines when not on a terminal (default 30). */
  intervalS?: number;
  /** Output (default standard error). */
  sink?: ProgressSink;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** A figure shown after the bar: numbers get 4 significant digits. */
export type Figure = number | string | boolean | null | undefined;

const _encoder = new TextEncoder();

const _stderrSink: ProgressSink = {
  write: (text) => {
    Deno.stderr.writeSync(_encoder.encode(text));
  },
  isTerminal: () => Deno.stderr.isTerminal(),
};

/** `1h02m`, `3m07s`, `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

function _figure(v: Figure): string {
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5
      ? String(Number(v.toPrecision(4)))
      : v.toExponential(2);
  }
  return String(v);
}

/**
 * Progress bar with ETA and key figures.
 *
 * @example
 * ```ts
 * import { ProgressBar } from "./progress.ts";
 * const lines: string[] = [];
 * const bar = new ProgressBar({
 *   total: 4,
 *   label: "train",
 *   sink: { write: (t) => lines.push(t), isTerminal: () => false },
 * });
 * for (let i = 1; i <= 4; i++) bar.update(i, { success: i / 4 });
 * bar.done();
 * ```
 */
export class ProgressBar {
  #opts: Required<Omit<ProgressBarOptions, "label">> & { label: string };
  #start: number;
  #startCount = 0;
  #lastLine = -Infinity;
  #lastText = "";
  #lastPrinted = NaN;
  #count = 0;
  #figures: Record<string, Figure> = {};
  #finished = false;

  /** @param opts total, label, width, interval, sink, clock. */
  constructor(opts: ProgressBarOptions) {
    if (!(opts.total >= 0)) throw new Error(`ProgressBar: total ${opts.total} must be ≥ 0`);
    this.#opts = {
      total: opts.total,
      label: opts.label ?? "",
      width: opts.width ?? 24,
      intervalS: opts.intervalS ?? 30,
      sink: opts.sink ?? _stderrSink,
      now: opts.now ?? (() => performance.now()),
    };
    this.#start = this.#opts.now();
  }

  /**
   * Set the ETA origin: iterations done before this call (e.g. before a resume) do not count
   * towards the rate.
   *
   * @param count iterations already done.
   */
  resumeFrom(count: number): void {
    this.#count = count;
    this.#startCount = count;
    this.#start = this.#opts.now();
  }

  /** The current line, without `\r` or newline. */
  render(): string {
    const { total, width, label } = this.#opts;
    const frac = total > 0 ? Math.min(1, this.#count / total) : 1;
    const filled = Math.round(frac * width);
    const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (frac >= 1 ? "=" : ">") : "") +
      " ".repeat(width - filled);
    const elapsed = (this.#opts.now() - this.#start) / 1000;
    const doneHere = this.#count - this.#startCount;
    const eta = doneHere > 0 ? (elapsed / doneHere) * (total - this.#count) : NaN;
    const figs = Object.entries(this.#figures)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${_figure(v)}`)
      .join(" ");
    const head = `${label ? `${label} ` : ""}${
      String(this.#count).padStart(String(total).length)
    }/${total}`;
    return `${head} [${bar}] ${String(Math.floor(frac * 100)).padStart(3)}% ` +
      `${formatDuration(elapsed)}<${formatDuration(eta)}${figs ? `  ${figs}` : ""}`;
  }

  /**
   * Record progress and figures; redraw (terminal) or print a line if `intervalS` has passed.
   *
   * @param count iterations done so far.
   * @param figures key figures to show; they replace earlier values of the same keys.
   */
  update(count: number, figures: Record<string, Figure> = {}): void {
    this.#count = count;
    Object.assign(this.#figures, figures);
    const sink = this.#opts.sink;
    if (sink.isTerminal()) {
      const text = this.render();
      const pad = Math.max(0, this.#lastText.length - text.length);
      sink.write(`\r${text}${" ".repeat(pad)}`);
      this.#lastText = text;
      return;
    }
    const t = this.#opts.now();
    if (t - this.#lastLine >= this.#opts.intervalS * 1000 || count >= this.#opts.total) {
      this.#lastLine = t;
      this.#lastPrinted = count;
      sink.write(`${this.render()}\n`);
    }
  }

  /** Finish: end the terminal line (or print the final line if it was not printed). */
  done(): void {
    if (this.#finished) return;
    this.#finished = true;
    const sink = this.#opts.sink;
    if (sink.isTerminal()) sink.write("\n");
    else if (this.#lastPrinted !== this.#count) sink.write(`${this.render()}\n`);
  }
}
