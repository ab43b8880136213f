// What a run must show on the console. Each expected pattern needs its own line (so the same pattern given
// twice needs two matching lines: "retried at least twice"); a forbidden pattern fails the run on first sight.
//
// A pattern is a JavaScript regular expression; written as /body/flags it takes flags ("/entropy.*fail/i").
export function toRegex(source) {
  const literal = /^\/(.*)\/([dgimsuy]*)$/s.exec(source);
  return literal ? new RegExp(literal[1], literal[2]) : new RegExp(source);
}

export class Expectations {
  constructor(expected = [], forbidden = []) {
    this.expected = expected.map((source) => ({ source, regex: toRegex(source), line: null }));
    this.forbidden = forbidden.map((source) => ({ source, regex: toRegex(source) }));
    this.violation = null;  // { source, line }
  }

  // Returns true when this line settled the run (all met, or a forbidden line).
  see(line) {
    for (const f of this.forbidden) {
      if (f.regex.test(line)) {
        this.violation ??= { source: f.source, line };
        return true;
      }
    }
    const open = this.expected.find((e) => e.line === null && e.regex.test(line));
    if (open) open.line = line;
    return this.allMet();
  }

  allMet() {
    return this.expected.length > 0 && this.expected.every((e) => e.line !== null);
  }

  unmet() {
    return this.expected.filter((e) => e.line === null).map((e) => e.source);
  }
}
