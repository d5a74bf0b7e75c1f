/** The emulator's notion of now: follows the real clock (with an offset) until a test sets it. */
export class EmulatorClock {
  #offsetMs = 0;
  #fixed: number | undefined;

  constructor(start?: Date, options: { frozen?: boolean } = {}) {
    if (start) {
      if (options.frozen) this.#fixed = start.getTime();
      else this.#offsetMs = start.getTime() - Date.now();
    }
  }

  now(): Date {
    return new Date(this.#fixed ?? Date.now() + this.#offsetMs);
  }

  /** Stops the clock at `date`; it moves only with set/advance from then on. */
  set(date: Date): void {
    this.#fixed = date.getTime();
  }

  advance(ms: number): void {
    if (this.#fixed !== undefined) this.#fixed += ms;
    else this.#offsetMs += ms;
  }
}
