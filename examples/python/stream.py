"""Streams Gemini's answer through gemini-connect to stdout, as it arrives.

    PYTHONPATH=gen/python .tools/venv/bin/python examples/python/stream.py "Why is the sky blue?"

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
        contents=[{"role": "user", "parts": [{"text": " ".join(sys.argv[1:]) or "How does AI work?"}]}],
    )
    # Cleartext HTTP/2 (h2c), as gemini-connect listens; use grpc.secure_channel behind a TLS proxy.
    with grpc.insecure_channel(os.environ.get("GEMINI_CONNECT_ADDR", "127.0.0.1:8080")) as channel:
        stub = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        try:
            for chunk in stub.StreamGenerateContent(request, timeout=120, metadata=metadata):
                for part in chunk.candidates[0].content.parts if chunk.candidates else []:
                    # Thoughts (with include_thoughts) are parts too: print only the answer.
                    if not part.thought:
                        print(part.text, end="", flush=True)
        except grpc.RpcError as error:
            print(f"\nerror: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
