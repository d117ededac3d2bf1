// The one shape check every reader of parsed JSON needs (the callers file, Gemini's error bodies,
// the emulator's requests). Here, in config/, because config/ may import nothing else of src/.

/** Whether a parsed JSON value is an object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
