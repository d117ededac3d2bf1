// The secret-hygiene check itself: a check that cannot fail would pass every leak.

import { describe, expect, it } from "vitest";
import { leakedSecretPieces } from "../support/secrets.ts";

const key = "AIzaSyD-0123456789abcdefghijklmnopqrstuv";

describe("leakedSecretPieces", () => {
  it("finds a key whole, a key with its first character redacted, and any 8 characters of it", () => {
    expect(leakedSecretPieces(`url?key=${key}`, [key])).toHaveLength(key.length - 7);
    expect(leakedSecretPieces(`key=[redacted]${key.slice(1)}`, [key])).toHaveLength(key.length - 8);
    expect(leakedSecretPieces(`...${key.slice(20, 28)}...`, [key])).toEqual([key.slice(20, 28)]);
  });

  it("passes text with at most 7 characters of the key in a row, and checks every secret given", () => {
    expect(leakedSecretPieces(`${key.slice(0, 7)} ${key.slice(7, 14)} key=[redacted]`, [key])).toEqual([]);
    expect(leakedSecretPieces("caller key ck-abc", [key, "ck-abc"])).toEqual(["ck-abc"]);
  });

  it("refuses an empty secret, which would match everything", () => {
    expect(() => leakedSecretPieces("anything", [""])).toThrow(/empty secret/);
  });
});
