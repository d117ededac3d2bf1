"""Summarizes a PDF (or any file Gemini reads) through gemini-connect with grpcio: uploads it, waits
until Gemini has processed it, streams the answer to a prompt that references it, then deletes it.

    PYTHONPATH=gen/python python examples/python/files.py report.pdf "Summarize this PDF."

When the gateway checks callers (CALLERS_FILE), put your caller key in GEMINI_CONNECT_KEY.
"""

import argparse
import mimetypes
import os
import sys

import grpc

from geminiconnect.v1 import content_pb2, files_pb2, files_pb2_grpc, generative_service_pb2, generative_service_pb2_grpc

CHUNK_BYTES = 1024 * 1024


def upload_messages(path: str, mime_type: str):
    """The metadata, then the file in 1 MiB chunks read from disk as the upload goes."""
    metadata = files_pb2.UploadFileRequest.Metadata(
        display_name=os.path.basename(path), mime_type=mime_type, size_bytes=os.path.getsize(path)
    )
    yield files_pb2.UploadFileRequest(metadata=metadata)
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield files_pb2.UploadFileRequest(chunk=chunk)


def main() -> int:
    parser = argparse.ArgumentParser(description="Summarize a file through gemini-connect.")
    parser.add_argument("file")
    parser.add_argument("prompt", nargs="?", default="Summarize this document in five bullet points.")
    parser.add_argument("--addr", default="127.0.0.1:8080", help="gemini-connect host:port")
    parser.add_argument("--model", default="models/gemini-2.5-flash")
    parser.add_argument("--mime", help="MIME type of the file (default: guessed from its name)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before giving up, per call")
    args = parser.parse_args()
    mime_type = args.mime or mimetypes.guess_type(args.file)[0] or "application/octet-stream"

    key = os.environ.get("GEMINI_CONNECT_KEY")
    metadata = [("authorization", f"Bearer {key}")] if key else []
    # Cleartext HTTP/2 (h2c), as gemini-connect listens; use grpc.secure_channel behind a TLS proxy.
    with grpc.insecure_channel(args.addr) as channel:
        files = files_pb2_grpc.FileServiceStub(channel)
        gemini = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        try:
            file = files.UploadFile(upload_messages(args.file, mime_type), timeout=args.timeout, metadata=metadata)
        except grpc.RpcError as error:
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
        print(f"uploaded {file.name} ({file.size_bytes} bytes)", file=sys.stderr)
        try:
            # Gemini may need a while to process a file (video especially) before a prompt can use it.
            for update in files.WatchFile(files_pb2.GetFileRequest(name=file.name), timeout=args.timeout, metadata=metadata):
                file = update
                print(f"{file.name}: {files_pb2.File.State.Name(file.state)}", file=sys.stderr)
            if file.state != files_pb2.File.ACTIVE:
                print(f"error: Gemini could not process the file: {file.error.message}", file=sys.stderr)
                return 1
            request = generative_service_pb2.GenerateContentRequest(
                model=args.model,
                contents=[
                    content_pb2.Content(
                        role="user",
                        parts=[
                            content_pb2.Part(file_data=content_pb2.FileData(file_uri=file.uri, mime_type=file.mime_type)),
                            content_pb2.Part(text=args.prompt),
                        ],
                    )
                ],
            )
            for chunk in gemini.StreamGenerateContent(request, timeout=args.timeout, metadata=metadata):
                for candidate in chunk.candidates:
                    for part in candidate.content.parts:
                        print(part.text, end="", flush=True)
            print()
        except grpc.RpcError as error:
            print(f"\nerror: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
        finally:
            # Gemini would delete it after 48 hours anyway; a tidy client does not leave it that long.
            files.DeleteFile(files_pb2.DeleteFileRequest(name=file.name), timeout=args.timeout, metadata=metadata)
    return 0


if __name__ == "__main__":
    sys.exit(main())
