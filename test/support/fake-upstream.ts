// An Upstream without the SDK or a socket: each call plays the next scripted answer, so tests of
// the core and the handlers run in memory and in order.

import { UpstreamError } from "../../src/upstream/upstream.ts";
import type { JsonObject, Upstream, UpstreamCall, UpstreamStream } from "../../src/upstream/upstream.ts";

/** One upstream answer: chunks (a stream's, or the unary answer as one), then how the stream ends. */
export interface Answer {
  /** Fails the request itself, before any chunk. */
  readonly reject?: UpstreamError;
  readonly chunks?: readonly JsonObject[];
  /** After the chunks: end (default), fail with this error, or wait until the call is aborted. */
  readonly then?: "end" | "hang" | UpstreamError;
  /** The first chunk waits until the call is aborted. */
  readonly hangFirst?: boolean;
}

export interface FakeUpstream extends Upstream {
  /** Every call made, in order, with its signal. */
  readonly calls: UpstreamCall[];
}

/** Plays `answers` in order, one per call; calls past the end get the last one again. */
export function fakeUpstream(...answers: Answer[]): FakeUpstream {
  const calls: UpstreamCall[] = [];
  const next = (call: UpstreamCall): Answer => {
    calls.push(call);
    const answer = answers[Math.min(calls.length, answers.length) - 1] ?? {};
    if (answer.reject !== undefined) throw answer.reject;
    return answer;
  };
  return {
    calls,
    async streamGenerateContent(call) {
      return streamOf(next(call), call.signal);
    },
    async generateContent(call) {
      return next(call).chunks?.[0] ?? {};
    },
    async countTokens(call) {
      return next(call).chunks?.[0] ?? {};
    },
  };
}

function streamOf(answer: Answer, signal: AbortSignal): UpstreamStream {
  const aborted = () =>
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  async function* chunks(): AsyncGenerator<object> {
    if (answer.hangFirst === true) await aborted();
    yield* answer.chunks ?? [];
    if (answer.then === "hang") await aborted();
    if (answer.then instanceof UpstreamError) throw answer.then;
  }
  return {
    chunks: chunks(),
    toJson: (chunk) => chunk as JsonObject,
    // As the SDK wrapper does: once the call's own signal fired, the failure is the abort.
    toError: (error) =>
      signal.aborted ? new UpstreamError("aborted", "the upstream request was aborted") : error instanceof UpstreamError ? error : new UpstreamError("malformed", String(error)),
  };
}

/** A chunk of text, with usage when given. */
export function textChunk(text: string, usage?: { prompt: number; candidates: number }): JsonObject {
  return {
    candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0 }],
    ...(usage === undefined
      ? {}
      : { usageMetadata: { promptTokenCount: usage.prompt, candidatesTokenCount: usage.candidates, totalTokenCount: usage.prompt + usage.candidates } }),
  };
}

/** Gemini's 503. */
export function unavailable(): UpstreamError {
  return new UpstreamError("status", "overloaded", { code: 503, message: "overloaded", status: "UNAVAILABLE", details: [] });
}
