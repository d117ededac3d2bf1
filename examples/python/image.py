"""Asks about an image, sent inline with the prompt (up to 20 MB in all; larger files go through
Gemini's Files API).

    PYTHONPATH=gen/python .tools/venv/bin/python examples/python/image.py examples/sky.png "Describe this image."

GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key, when
the gateway checks callers (CALLERS_FILE).
"""

import mimetypes
import os
import sys

import grpc

from geminiconnect.v1 import generative_service_pb2, generative_service_pb2_grpc

key = os.environ.get("GEMINI_CONNECT_KEY")
metadata = [("authorization", f"Bearer {key}")] if key else []


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: image.py IMAGE [PROMPT...]", file=sys.stderr)
        return 2
    path = sys.argv[1]
    with open(path, "rb") as file:
        image = {"mime_type": mimetypes.guess_type(path)[0] or "image/png", "data": file.read()}
    request = generative_service_pb2.GenerateContentRequest(
        model="models/gemini-2.5-flash",
        contents=[{"role": "user", "parts": [{"inline_data": image}, {"text": " ".join(sys.argv[2:]) or "Caption this image."}]}],
    )
    with grpc.insecure_channel(os.environ.get("GEMINI_CONNECT_ADDR", "127.0.0.1:8080")) as channel:
        stub = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        try:
            for chunk in stub.StreamGenerateContent(request, timeout=120, metadata=metadata):
                for part in chunk.candidates[0].content.parts if chunk.candidates else []:
                    if not part.thought:
                        print(part.text, end="", flush=True)
        except grpc.RpcError as error:
            print(f"\nerror: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
