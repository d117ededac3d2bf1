// Pure: request JSON -> the JSON objects Gemini would answer with (echo of the last user turn).

import { isRecord } from "../config/json.ts";

/**
 * Token rule used everywhere (usage metadata and countTokens): a text costs one token per
 * whitespace-separated word, and at least 1 if it is non-empty (so "  " costs 1, "" costs 0).
 * Only text parts count; other parts (inline data, function calls...) cost nothing.
 */
export function tokenCount(text: string): number {
  const words = text.match(/\S+/g)?.length ?? 0;
  return words === 0 && text.length > 0 ? 1 : words;
}

/** Answer text (one chunk) when the last user turn holds no text, so that a stream is never empty. */
export const EMPTY_ECHO = "(nothing to echo)";

export type FinishReason = "STOP" | "MAX_TOKENS";

export interface ModalityTokenCountJson {
  modality: "TEXT";
  tokenCount: number;
}

export interface UsageMetadataJson {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  promptTokensDetails: ModalityTokenCountJson[];
  candidatesTokensDetails?: ModalityTokenCountJson[];
}

export interface CandidateJson {
  content: { parts: { text: string }[]; role: "model" };
  finishReason?: FinishReason;
  index: number;
}

export interface GenerateContentResponseJson {
  candidates: CandidateJson[];
  usageMetadata: UsageMetadataJson;
  modelVersion: string;
  responseId: string;
}

export interface CountTokensResponseJson {
  totalTokens: number;
  promptTokensDetails: ModalityTokenCountJson[];
}

/** How the answer text is cut into chunks. */
export type Chunking =
  | { readonly kind: "words" }
  | { readonly kind: "fixed"; readonly chunks: number; readonly chunkChars: number };

/** Everything needed to produce one answer, decided up front from the request. */
export interface EchoPlan {
  readonly modelVersion: string;
  readonly responseId: string;
  readonly promptTokens: number;
  readonly finishReason: FinishReason;
  readonly pieceCount: number;
  /** Text of chunk `index` (0 <= index < pieceCount); concatenated in order they give the answer. */
  piece(index: number): string;
}

export function planEcho(
  body: unknown,
  setup: { readonly model: string; readonly responseId: string; readonly chunking: Chunking },
): EchoPlan {
  const base = {
    modelVersion: setup.model,
    responseId: setup.responseId,
    promptTokens: promptTokenCount(body),
  };
  const userText = lastUserText(body);
  const echo = userText || EMPTY_ECHO;
  if (setup.chunking.kind === "fixed") {
    const { chunks, chunkChars } = setup.chunking;
    return {
      ...base,
      finishReason: "STOP",
      pieceCount: chunks,
      piece: (index) => cycle(echo, index * chunkChars, chunkChars),
    };
  }
  // The stand-in text goes out whole: one chunk is the clearest sign that nothing was echoed.
  const words = userText ? splitWords(userText) : [EMPTY_ECHO];
  const limit = maxOutputTokens(body);
  const pieces = limit !== undefined && words.length > limit ? words.slice(0, limit) : words;
  return {
    ...base,
    finishReason: pieces.length < words.length ? "MAX_TOKENS" : "STOP",
    pieceCount: pieces.length,
    piece: (index) => pieces[index] ?? "",
  };
}

/**
 * The stream chunks of a plan, produced lazily. Without `limit`, all of them, the last one with
 * finishReason and complete usage. With `limit`, only the first `limit` and none marked as last: this is
 * the prefix a failed stream sends before it fails.
 */
export function* streamChunks(plan: EchoPlan, limit?: number): Generator<GenerateContentResponseJson> {
  const count = limit === undefined ? plan.pieceCount : Math.min(limit, plan.pieceCount);
  const tally = createTally();
  for (let index = 0; index < count; index++) {
    const text = plan.piece(index);
    const isLast = limit === undefined && index === count - 1;
    yield responseJson(plan, text, tally(text), isLast);
  }
}

/** The unary answer: the whole text in one response. */
export function unaryResponse(plan: EchoPlan): GenerateContentResponseJson {
  const parts: string[] = [];
  for (let index = 0; index < plan.pieceCount; index++) parts.push(plan.piece(index));
  const text = parts.join("");
  return responseJson(plan, text, tokenCount(text), true);
}

/** countTokens accepts `contents` or a whole `generateContentRequest`. */
export function countTokensResponse(body: unknown): CountTokensResponseJson {
  const request = isRecord(body) && isRecord(body["generateContentRequest"]) ? body["generateContentRequest"] : body;
  const total = promptTokenCount(request);
  return { totalTokens: total, promptTokensDetails: [{ modality: "TEXT", tokenCount: total }] };
}

function responseJson(
  plan: EchoPlan,
  text: string,
  candidatesTokens: number,
  isLast: boolean,
): GenerateContentResponseJson {
  const content: CandidateJson["content"] = { parts: [{ text }], role: "model" };
  // Key order follows Google's own chunks, which keeps captured streams easy to compare.
  const candidate: CandidateJson = isLast
    ? { content, finishReason: plan.finishReason, index: 0 }
    : { content, index: 0 };
  const usage: UsageMetadataJson = {
    promptTokenCount: plan.promptTokens,
    candidatesTokenCount: candidatesTokens,
    totalTokenCount: plan.promptTokens + candidatesTokens,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: plan.promptTokens }],
  };
  if (isLast) usage.candidatesTokensDetails = [{ modality: "TEXT", tokenCount: candidatesTokens }];
  return {
    candidates: [candidate],
    usageMetadata: usage,
    modelVersion: plan.modelVersion,
    responseId: plan.responseId,
  };
}

/**
 * Running token count of the text streamed so far, fed piece by piece. Incremental because benchmark
 * pieces cut words in half, and re-counting the whole prefix per chunk would be quadratic.
 */
function createTally(): (piece: string) => number {
  let words = 0;
  let inWord = false;
  let seenText = false;
  return (piece) => {
    for (const char of piece) {
      const space = /\s/.test(char);
      if (!space && !inWord) words++;
      inWord = !space;
      seenText = true;
    }
    return words === 0 && seenText ? 1 : words;
  };
}

/** Splits into one word per piece; whitespace stays attached so the pieces concatenate to `text`. */
function splitWords(text: string): string[] {
  const words = text.match(/\S+\s*/g);
  if (words === null) return [text];
  const leading = text.length - words.join("").length;
  if (leading > 0 && words[0] !== undefined) words[0] = text.slice(0, leading) + words[0];
  return words;
}

function cycle(text: string, start: number, length: number): string {
  if (text.length === 0) return "";
  let out = "";
  let position = start % text.length;
  while (out.length < length) {
    const take = text.slice(position, position + (length - out.length));
    out += take;
    position = 0;
  }
  return out;
}

function lastUserText(body: unknown): string {
  const contents = isRecord(body) && Array.isArray(body["contents"]) ? body["contents"] : [];
  for (let index = contents.length - 1; index >= 0; index--) {
    const content: unknown = contents[index];
    // Gemini treats a turn without a role as a user turn.
    if (isRecord(content) && (content["role"] === undefined || content["role"] === "user")) {
      return partTexts(content).join("");
    }
  }
  return "";
}

function promptTokenCount(request: unknown): number {
  if (!isRecord(request)) return 0;
  const contents = Array.isArray(request["contents"]) ? request["contents"] : [];
  const system = request["systemInstruction"];
  const texts = [...contents, ...(system === undefined ? [] : [system])].flatMap(partTexts);
  return texts.reduce((sum, text) => sum + tokenCount(text), 0);
}

function partTexts(content: unknown): string[] {
  if (!isRecord(content) || !Array.isArray(content["parts"])) return [];
  const texts: string[] = [];
  for (const part of content["parts"]) {
    if (isRecord(part) && typeof part["text"] === "string") texts.push(part["text"]);
  }
  return texts;
}

function maxOutputTokens(body: unknown): number | undefined {
  const config = isRecord(body) ? body["generationConfig"] : undefined;
  const max = isRecord(config) ? config["maxOutputTokens"] : undefined;
  return typeof max === "number" && Number.isInteger(max) && max > 0 ? max : undefined;
}

