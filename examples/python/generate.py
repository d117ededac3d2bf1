"""One complete answer in one call (GenerateContent), then the token count of the same prompt.

    PYTHONPATH=gen/python .tools/venv/bin/python examples/python/generate.py "How does AI work?"

GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key, when
the gateway checks callers (CALLERS_FILE).
"""

import os
import sys

import grpc

from geminiconnect.v1 import generative_service_pb2, generative_service_pb2_grpc

key = os.environ.get("GEMINI_CONNECT_KEY")
metadata = [("authorization", f"Bearer {key}")] if key else []


def main() -> int:
    model = "models/gemini-2.5-flash"
    contents = [{"role": "user", "parts": [{"text": " ".join(sys.argv[1:]) or "How does AI work?"}]}]
    with grpc.insecure_channel(os.environ.get("GEMINI_CONNECT_ADDR", "127.0.0.1:8080")) as channel:
        stub = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        try:
            response = stub.GenerateContent(
                generative_service_pb2.GenerateContentRequest(model=model, contents=contents),
                timeout=120,
                metadata=metadata,
            )
            count = stub.CountTokens(
                generative_service_pb2.CountTokensRequest(model=model, contents=contents),
                timeout=10,
                metadata=metadata,
            )
        except grpc.RpcError as error:
            # RESOURCE_EXHAUSTED and UNAVAILABLE are worth a retry later; the rest are not.
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    parts = response.candidates[0].content.parts if response.candidates else []
    print("".join(part.text for part in parts if not part.thought))
    print(f"(prompt: {count.total_tokens} tokens, answer: {response.usage_metadata.candidates_token_count} tokens)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
