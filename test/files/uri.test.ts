// Which file_uri values the ownership check must look at.
import { describe, expect, it } from "vitest";
import { fileUriMeaning } from "../../src/files/uri.ts";

const hosts = new Set(["generativelanguage.googleapis.com", "127.0.0.1:8090"]);

describe("fileUriMeaning", () => {
  it.each([
    ["https://generativelanguage.googleapis.com/v1beta/files/abc-123", "files/abc-123"],
    ["http://127.0.0.1:8090/v1beta/files/x1y2z3", "files/x1y2z3"],
    ["https://GenerativeLanguage.googleapis.com/v1/files/abc", "files/abc"],
    ["files/abc", "files/abc"],
  ])("%s names %s", (uri, name) => {
    expect(fileUriMeaning(uri, hosts)).toEqual({ kind: "file", name });
  });

  it.each([
    "https://www.youtube.com/watch?v=abc",
    "gs://bucket/files/abc",
    "https://example.com/v1beta/files/abc",
    "a plain string",
  ])("%s is not a file of ours", (uri) => {
    expect(fileUriMeaning(uri, hosts)).toEqual({ kind: "other" });
  });

  it.each([
    "https://generativelanguage.googleapis.com/v1beta/files/abc?alt=media",
    "https://generativelanguage.googleapis.com/v1beta/files/abc/",
    "https://generativelanguage.googleapis.com/v1beta/files/../files/abc#x",
    "https://generativelanguage.googleapis.com/v1beta/files/ABC",
    "FILES/abc",
  ])("%s is unclear, so it is refused rather than passed unchecked", (uri) => {
    expect(fileUriMeaning(uri, hosts)).toEqual({ kind: "unclear" });
  });
});
