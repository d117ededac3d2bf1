"""Summarizes a PDF (or any file Gemini reads, up to 2 GB) through gemini-connect: uploads it, waits
until Gemini has processed it, streams the answer to a prompt that references it, then deletes it.

    PYTHONPATH=gen/python .tools/venv/bin/python examples/python/files.py report.pdf "Summarize this PDF."

GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key, when
the gateway checks callers (CALLERS_FILE).
"""

import mimetypes
import os
import sys

import grpc

from geminiconnect.v1 import files_pb2, files_pb2_grpc, generative_service_pb2, generative_service_pb2_grpc

key = os.environ.get("GEMINI_CONNECT_KEY")
metadata = [("authorization", f"Bearer {key}")] if key else []


def upload_messages(path: str, mime_type: str):
    """The metadata, then the file in 1 MiB chunks read from disk as the upload goes."""
    size = os.path.getsize(path)
    yield files_pb2.UploadFileRequest(
        metadata={"display_name": os.path.basename(path), "mime_type": mime_type, "size_bytes": size}
    )
    with open(path, "rb") as file:
        while chunk := file.read(1024 * 1024):
            yield files_pb2.UploadFileRequest(chunk=chunk)


def summarize(channel: grpc.Channel, path: str, prompt: str) -> int:
    files = files_pb2_grpc.FileServiceStub(channel)
    gemini = generative_service_pb2_grpc.GenerativeServiceStub(channel)
    mime_type = mimetypes.guess_type(path)[0] or "application/pdf"
    file = files.UploadFile(upload_messages(path, mime_type), timeout=600, metadata=metadata)
    try:
        # Gemini may need a while to process a file (video especially) before a prompt can use it.
        for update in files.WatchFile(files_pb2.GetFileRequest(name=file.name), timeout=600, metadata=metadata):
            file = update
        if file.state != files_pb2.File.ACTIVE:
            print(f"error: Gemini could not process the file: {file.error.message}", file=sys.stderr)
            return 1
        request = generative_service_pb2.GenerateContentRequest(
            model="models/gemini-2.5-flash",
            contents=[
                {
                    "role": "user",
                    "parts": [{"file_data": {"file_uri": file.uri, "mime_type": file.mime_type}}, {"text": prompt}],
                }
            ],
        )
        for chunk in gemini.StreamGenerateContent(request, timeout=300, metadata=metadata):
            for part in chunk.candidates[0].content.parts if chunk.candidates else []:
                if not part.thought:
                    print(part.text, end="", flush=True)
        print()
        return 0
    finally:
        # Gemini would delete it after 48 hours anyway; a tidy client does not leave it that long.
        files.DeleteFile(files_pb2.DeleteFileRequest(name=file.name), timeout=60, metadata=metadata)


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: files.py FILE [PROMPT...]", file=sys.stderr)
        return 2
    prompt = " ".join(sys.argv[2:]) or "Summarize this document in five bullet points."
    # Cleartext HTTP/2 (h2c), as gemini-connect listens; use grpc.secure_channel behind a TLS proxy.
    with grpc.insecure_channel(os.environ.get("GEMINI_CONNECT_ADDR", "127.0.0.1:8080")) as channel:
        try:
            return summarize(channel, sys.argv[1], prompt)
        except grpc.RpcError as error:
            print(f"\nerror: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
