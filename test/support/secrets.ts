// Secret hygiene for tests: a secret is leaked when any 8-character piece of it shows, not only
// when the whole of it does. A redaction that replaces the first character of a key, or cuts a
// message in the middle of one, still hands most of the key to whoever reads the text.

/** The shortest piece of a secret that counts as a leak. */
export const leakPieceLength = 8;

/**
 * Every 8-character piece of any of `secrets` that appears in `text` (a secret shorter than that:
 * the whole of it), in the order found. Empty means clean: `expect(leakedSecretPieces(...)).toEqual([])`.
 */
export function leakedSecretPieces(text: string, secrets: readonly string[]): string[] {
  const leaked = new Set<string>();
  for (const secret of secrets) {
    if (secret === "") throw new Error("an empty secret matches every text: the test is set up wrong");
    const length = Math.min(leakPieceLength, secret.length);
    for (let at = 0; at + length <= secret.length; at++) {
      const piece = secret.slice(at, at + length);
      if (text.includes(piece)) leaked.add(piece);
    }
  }
  return [...leaked];
}
