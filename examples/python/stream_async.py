"""Streams several answers at once with asyncio (grpc.aio), over one HTTP/2 connection, and prints
each answer when complete.

    PYTHONPATH=gen/python .tools/venv/bin/python examples/python/stream_async.py "Name a color." "Name a fruit."

GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key, when
the gateway checks callers (CALLERS_FILE).
"""

import asyncio
import os
import sys

import grpc

from geminiconnect.v1 import generative_service_pb2, generative_service_pb2_grpc

key = os.environ.get("GEMINI_CONNECT_KEY")
metadata = [("authorization", f"Bearer {key}")] if key else []


async def ask(stub: generative_service_pb2_grpc.GenerativeServiceStub, question: str) -> str:
    request = generative_service_pb2.GenerateContentRequest(
        model="models/gemini-2.5-flash",
        contents=[{"role": "user", "parts": [{"text": question}]}],
    )
    answer = ""
    try:
        async for chunk in stub.StreamGenerateContent(request, timeout=120, metadata=metadata):
            for part in chunk.candidates[0].content.parts if chunk.candidates else []:
                if not part.thought:
                    answer += part.text
    except grpc.RpcError as error:
        # One failed question should not hide the other answers.
        return f"error: {error.code().name}: {error.details()}"
    return answer


async def main() -> None:
    questions = sys.argv[1:] or ["Name a color.", "Name a fruit.", "Name a planet."]
    async with grpc.aio.insecure_channel(os.environ.get("GEMINI_CONNECT_ADDR", "127.0.0.1:8080")) as channel:
        stub = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        answers = await asyncio.gather(*(ask(stub, question) for question in questions))
    for number, (question, answer) in enumerate(zip(questions, answers), start=1):
        print(f"[{number}] {question}\n{answer}\n")


if __name__ == "__main__":
    asyncio.run(main())
