"""Calls the gateway with grpcio and the generated stubs in gen/python, then prints one JSON object
saying what it saw: the text of each chunk, the finish reason and token count of the last one, and
the error the call ended with (status code name, message, typed details decoded from
grpc-status-details-bin). The interop tests (test/interop/python.test.ts) run it against a real server.

    client.py --addr 127.0.0.1:8080 --call stream|unary|cancel --prompt "hello there" [--timeout 5]

--call cancel reads one chunk, prints {"ready": true}, waits for a line on stdin, then cancels the
call: the test looks at the server between the two.
"""

import argparse
import json
import sys

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from geminiconnect.v1 import content_pb2, generative_service_pb2, generative_service_pb2_grpc

# The google.rpc detail types a Gemini error may carry, by full name.
DETAIL_TYPES = {
    cls.DESCRIPTOR.full_name: cls
    for cls in (
        error_details_pb2.ErrorInfo,
        error_details_pb2.RetryInfo,
        error_details_pb2.QuotaFailure,
        error_details_pb2.BadRequest,
        error_details_pb2.Help,
        error_details_pb2.LocalizedMessage,
        error_details_pb2.DebugInfo,
        error_details_pb2.PreconditionFailure,
        error_details_pb2.RequestInfo,
        error_details_pb2.ResourceInfo,
    )
}


def record(response, out):
    for candidate in response.candidates:
        out["texts"].extend(part.text for part in candidate.content.parts)
        if candidate.finish_reason:
            out["finishReason"] = generative_service_pb2.Candidate.FinishReason.Name(candidate.finish_reason)
    if response.HasField("usage_metadata"):
        out["totalTokens"] = response.usage_metadata.total_token_count


def describe(error: grpc.RpcError):
    """The status code name, message and typed details of a failed call."""
    described = {"code": error.code().name, "message": error.details(), "details": []}
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else []:
        name = detail.TypeName()
        cls = DETAIL_TYPES.get(name)
        if cls is None:
            described["details"].append({"@type": name, "@error": "unknown detail type"})
            continue
        message = cls()
        detail.Unpack(message)
        described["details"].append({"@type": name, **json_format.MessageToDict(message)})
    return described


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--addr", default="127.0.0.1:8080")
    parser.add_argument("--call", choices=["stream", "unary", "cancel"], default="stream")
    parser.add_argument("--prompt", default="hello")
    parser.add_argument("--model", default="models/gemini-2.5-flash")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    request = generative_service_pb2.GenerateContentRequest(
        model=args.model,
        contents=[content_pb2.Content(role="user", parts=[content_pb2.Part(text=args.prompt)])],
    )
    out = {"texts": []}
    with grpc.insecure_channel(args.addr) as channel:
        stub = generative_service_pb2_grpc.GenerativeServiceStub(channel)
        try:
            if args.call == "unary":
                record(stub.GenerateContent(request, timeout=args.timeout), out)
            else:
                call = stub.StreamGenerateContent(request, timeout=args.timeout)
                for chunk in call:
                    record(chunk, out)
                    if args.call == "cancel":
                        print(json.dumps({"ready": True}), flush=True)
                        sys.stdin.readline()
                        call.cancel()
        except grpc.RpcError as error:
            out["error"] = describe(error)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
