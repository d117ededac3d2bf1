"""A chat: each argument is your next turn; every request carries the whole conversation so far,
Gemini's own turns included, as Gemini's chats do.

    PYTHONPATH=gen/python .tools/venv/bin/python examples/python/chat.py "I have 2 dogs in my house." "How many paws are in my house?"

GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key, when
the gateway checks callers (CALLERS_FILE).
"""

import os
import sys

import grpc

from geminiconnect.v1 import content_pb2, generative_service_pb2, generative_service_pb2_grpc

key = os.environ.get("GEMINI_CONNECT_KEY")
metadata = [("authorization", f"Bearer {key}")] if key else []


def main() -> int:
    history: list[content_pb2.Content] = []
    with grpc.insecure_channel(os.environ.get("GEMINI_CONNECT_ADDR", "127.0.0.1:8080")) as channel:
        stub = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        for turn in sys.argv[1:] or ["I have 2 dogs in my house.", "How many paws are in my house?"]:
            print(f"> {turn}")
            history.append(content_pb2.Content(role="user", parts=[{"text": turn}]))
            request = generative_service_pb2.GenerateContentRequest(model="models/gemini-2.5-flash", contents=history)
            # Gemini's turn is kept whole, every part of every chunk (thought signatures included):
            # the next request must carry it as Gemini sent it.
            reply = content_pb2.Content(role="model")
            try:
                for chunk in stub.StreamGenerateContent(request, timeout=120, metadata=metadata):
                    for candidate in chunk.candidates[:1]:
                        reply.parts.extend(candidate.content.parts)
                        print("".join(part.text for part in candidate.content.parts if not part.thought), end="", flush=True)
            except grpc.RpcError as error:
                print(f"\nerror: {error.code().name}: {error.details()}", file=sys.stderr)
                return 1
            print("\n")
            history.append(reply)
    return 0


if __name__ == "__main__":
    sys.exit(main())
