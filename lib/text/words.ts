/** A count with its noun, singular or plural: "1 resource", "2 resources", "0 TPM instances". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Edit distance with transpositions (optimal string alignment): "relase" → "release" is 1. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate a mistyped word most likely meant, for "did you mean …?": the nearest by edit
 * distance (at most a third of the word, and at least 1), else the only one it begins; undefined
 * when none is close.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase();
  let best: { candidate: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(typed, candidate.toLowerCase());
    if (d <= Math.max(1, Math.floor(typed.length / 3)) && (!best || d < best.d)) best = { candidate, d };
  }
  if (best) return best.candidate;
  const prefixed = typed.length >= 3 ? candidates.filter((c) => c.toLowerCase().startsWith(typed)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Text broken into lines of at most `width` columns, between words (a longer word gets a line of its own). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/ +/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines;
}
