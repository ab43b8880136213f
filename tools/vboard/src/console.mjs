// UART bytes to console lines: the firmware writes "\r\n" or "\n"; a line is complete at '\n'. Partial lines
// are kept until the next byte or flush() (at the end of a run, so nothing the board printed is lost).
export class LineSplitter {
  constructor(onLine) {
    this.onLine = onLine;
    this.pending = [];
  }

  push(byte) {
    if (byte === 0x0a) {
      this.#emit();
    } else if (byte !== 0x0d) {
      this.pending.push(byte);
      if (this.pending.length >= 4096) this.#emit();  // a runaway line must not grow without bound
    }
  }

  flush() {
    if (this.pending.length > 0) this.#emit();
  }

  #emit() {
    const line = Buffer.from(this.pending).toString('latin1');
    this.pending = [];
    this.onLine(line);
  }
}
