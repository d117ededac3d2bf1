// What the suites of Google's own clients share: Gemini's per-day quota error, which the gateway
// passes on without retrying, with the typed details a client decodes (RetryInfo, QuotaFailure).

import type { RpcError } from "../../src/emulator/server.ts";

export const perDayQuotaError: RpcError = {
  code: 429,
  message: "You exceeded your current quota, please check your plan and billing details.",
  status: "RESOURCE_EXHAUSTED",
  details: [
    {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [
        {
          quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
          quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
          quotaValue: "250",
        },
      ],
    },
    { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "53s" },
  ],
};

/** A short chat: the history the clients send before their own last turn. */
export const chatHistory: readonly { role: string; parts: { text: string }[] }[] = [
  { role: "user", parts: [{ text: "hi" }] },
  { role: "model", parts: [{ text: "hello, how can I help?" }] },
];
