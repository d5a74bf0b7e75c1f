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
 * distance (1 to 3 slips, by the word's length), else the one that shares its beginning longest;
 * undefined when none is close.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase();
  // One slip in a short word, two in a longer one, three in a long one (as gh and git suggest).
  const allowed = typed.length <= 3 ? 1 : typed.length < 8 ? 2 : 3;
  let best: { candidate: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(typed, candidate.toLowerCase());
    if (d <= allowed && (!best || d < best.d)) best = { candidate, d };
  }
  if (best) return best.candidate;
  // Else the one candidate that starts with all but the last letter or two typed: "Serve" → "Serving".
  const shared = (c: string) => {
    let n = 0;
    while (n < typed.length && n < c.length && typed[n] === c[n]!.toLowerCase()) n++;
    return n;
  };
  const longest = Math.max(0, ...candidates.map(shared));
  const alike = candidates.filter((c) => shared(c) === longest);
  const enough = typed.length >= 4 && longest >= Math.max(4, typed.length - 2);
  return enough && alike.length === 1 ? alike[0] : undefined;
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
