"""A system instruction and generation parameters: temperature, the longest answer, where to stop,
and no thinking. Streams the answer and says when it was cut short.

    PYTHONPATH=gen/python .tools/venv/bin/python examples/python/config.py "Why is the sky blue?"

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
    request = generative_service_pb2.GenerateContentRequest(
        model="models/gemini-2.5-flash",
        system_instruction={"parts": [{"text": "Answer in one short paragraph, for a ten-year-old."}]},
        contents=[{"role": "user", "parts": [{"text": " ".join(sys.argv[1:]) or "How does AI work?"}]}],
        generation_config={
            "temperature": 0.5,
            "max_output_tokens": 200,
            "stop_sequences": ["\n\n"],
            # A budget of 0 turns thinking off on Gemini 2.5 Flash; Gemini 3 models take thinking_level.
            "thinking_config": {"thinking_budget": 0},
        },
    )
    finish_reason = 0
    with grpc.insecure_channel(os.environ.get("GEMINI_CONNECT_ADDR", "127.0.0.1:8080")) as channel:
        stub = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        try:
            for chunk in stub.StreamGenerateContent(request, timeout=120, metadata=metadata):
                for candidate in chunk.candidates[:1]:
                    print("".join(part.text for part in candidate.content.parts), end="", flush=True)
                    finish_reason = candidate.finish_reason or finish_reason
        except grpc.RpcError as error:
            print(f"\nerror: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print()
    reason = generative_service_pb2.Candidate.FinishReason.Name(finish_reason)
    if reason != "STOP":
        print(f"[stopped: {reason}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
