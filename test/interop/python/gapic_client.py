"""Calls the gateway with Google's own generated Python client for the Gemini API,
google-ai-generativelanguage (GAPIC, gRPC), unchanged but for its channel: cleartext HTTP/2 to the
gateway, the caller key as x-goog-api-key metadata. Prints one JSON object saying what it saw: the
text of each chunk, the finish reason and token counts, and the error the call raised, with the
RetryInfo and QuotaFailure that google-api-core decoded into their own types. The interop tests
(test/interop/google-clients.test.ts) run it against a real server.

    gapic_client.py --addr 127.0.0.1:8080 --key KEY --call stream|unary|count|embed --prompt "hi" [--transport rest]

--transport rest uses the client's REST transport instead (its stream is the JSON-array form).
"""

import argparse
import json

import grpc
from google.ai import generativelanguage_v1beta as glm
from google.ai.generativelanguage_v1beta.services.generative_service.transports import GenerativeServiceGrpcTransport
from google.api_core import client_options, exceptions
from google.auth.credentials import AnonymousCredentials
from google.protobuf import json_format
from google.rpc import error_details_pb2

MODEL = "models/gemini-2.5-flash"


def turn(role, text):
    return glm.Content(role=role, parts=[glm.Part(text=text)])


def record(response, out):
    for candidate in response.candidates:
        out["texts"].extend(part.text for part in candidate.content.parts)
        if candidate.finish_reason:
            out["finishReason"] = candidate.finish_reason.name
    if response.usage_metadata:
        out["promptTokens"] = response.usage_metadata.prompt_token_count
        out["totalTokens"] = response.usage_metadata.total_token_count


# Over REST, google-api-core keeps the details as the JSON of Google's error body.
DETAIL_TYPES = {f"type.googleapis.com/{cls.DESCRIPTOR.full_name}": cls for cls in (error_details_pb2.RetryInfo, error_details_pb2.QuotaFailure)}


def typed(detail):
    if not isinstance(detail, dict) or detail.get("@type") not in DETAIL_TYPES:
        return detail
    fields = {name: value for name, value in detail.items() if name != "@type"}
    return json_format.ParseDict(fields, DETAIL_TYPES[detail["@type"]]())


def describe(error: exceptions.GoogleAPICallError):
    code = error.grpc_status_code.name if error.grpc_status_code is not None else error.code
    described = {"type": type(error).__name__, "code": code, "message": error.message}
    for detail in map(typed, error.details):
        if isinstance(detail, error_details_pb2.RetryInfo):
            described["retryDelaySeconds"] = detail.retry_delay.seconds
        elif isinstance(detail, error_details_pb2.QuotaFailure):
            described["quotaIds"] = [violation.quota_id for violation in detail.violations]
    return described


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--addr", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--call", choices=["stream", "unary", "count", "embed"], default="stream")
    parser.add_argument("--prompt", default="hello")
    parser.add_argument("--transport", choices=["grpc", "rest"], default="grpc")
    args = parser.parse_args()

    # The one change from calling Google: a channel to the gateway (or, for REST, its address).
    if args.transport == "grpc":
        client = glm.GenerativeServiceClient(transport=GenerativeServiceGrpcTransport(channel=grpc.insecure_channel(args.addr)))
    else:
        endpoint = client_options.ClientOptions(api_endpoint=f"http://{args.addr}")
        client = glm.GenerativeServiceClient(transport="rest", credentials=AnonymousCredentials(), client_options=endpoint)
    metadata = [("x-goog-api-key", args.key)]
    contents = [turn("user", "hi"), turn("model", "hello, how can I help?"), turn("user", args.prompt)]
    request = glm.GenerateContentRequest(model=MODEL, contents=contents)
    out = {"texts": []}
    try:
        if args.call == "stream":
            for chunk in client.stream_generate_content(request=request, metadata=metadata, timeout=10):
                record(chunk, out)
        elif args.call == "unary":
            record(client.generate_content(request=request, metadata=metadata, timeout=10), out)
        elif args.call == "count":
            response = client.count_tokens(request=glm.CountTokensRequest(model=MODEL, contents=contents), metadata=metadata, timeout=10)
            out["totalTokens"] = response.total_tokens
        else:
            client.embed_content(request=glm.EmbedContentRequest(model=MODEL, content=turn("user", args.prompt)), metadata=metadata, timeout=10)
    except exceptions.GoogleAPICallError as error:
        out["error"] = describe(error)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
