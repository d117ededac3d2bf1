"""Streams a Gemini answer through gemini-connect to stdout, with grpcio and the generated stubs
in gen/python. Copy this file to start a client of your own.

    PYTHONPATH=gen/python python examples/python/stream.py "Why is the sky blue?"

When the gateway checks callers (CALLERS_FILE), put your caller key in GEMINI_CONNECT_KEY.
"""

import argparse
import os
import sys

import grpc

from geminiconnect.v1 import content_pb2, generative_service_pb2, generative_service_pb2_grpc


def main() -> int:
    parser = argparse.ArgumentParser(description="Stream a Gemini answer through gemini-connect.")
    parser.add_argument("prompt", nargs="+")
    parser.add_argument("--addr", default="127.0.0.1:8080", help="gemini-connect host:port")
    parser.add_argument("--model", default="models/gemini-2.5-flash")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before giving up")
    args = parser.parse_args()

    request = generative_service_pb2.GenerateContentRequest(
        model=args.model,
        contents=[content_pb2.Content(role="user", parts=[content_pb2.Part(text=" ".join(args.prompt))])],
    )
    key = os.environ.get("GEMINI_CONNECT_KEY")
    metadata = [("authorization", f"Bearer {key}")] if key else []
    # Cleartext HTTP/2 (h2c), as gemini-connect listens; use grpc.secure_channel behind a TLS proxy.
    with grpc.insecure_channel(args.addr) as channel:
        stub = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        try:
            for chunk in stub.StreamGenerateContent(request, timeout=args.timeout, metadata=metadata):
                for candidate in chunk.candidates:
                    for part in candidate.content.parts:
                        print(part.text, end="", flush=True)
        except grpc.RpcError as error:
            print(f"\nerror: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
