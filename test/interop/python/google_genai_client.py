"""Calls the gateway with Google's own Python client, google-genai, unchanged but for its base URL
(and the gateway's caller key as its API key), then prints one JSON object saying what it saw: the
text of each chunk, the finish reason and token counts, and the error the call raised (the SDK's
own error type, code, status and message). The interop tests (test/interop/google-clients.test.ts)
run it against a real server.

    google_genai_client.py --base-url http://127.0.0.1:8080 --key KEY --call stream|unary|count|chat|abort --prompt "hi"

The calls send a short chat history before the prompt. --call abort reads one chunk, prints
{"ready": true}, waits for a line on stdin, closes the stream, prints {"closed": true} and waits
for another line: the test looks at the server in between.
"""

import argparse
import json
import sys

from google import genai
from google.genai import errors, types

HISTORY = [
    types.Content(role="user", parts=[types.Part(text="hi")]),
    types.Content(role="model", parts=[types.Part(text="hello, how can I help?")]),
]
MODEL = "gemini-2.5-flash"


def record(response, out):
    for candidate in response.candidates or []:
        out["texts"].extend(part.text for part in (candidate.content.parts or []) if part.text is not None)
        if candidate.finish_reason:
            out["finishReason"] = candidate.finish_reason.value
    if response.usage_metadata is not None:
        out["promptTokens"] = response.usage_metadata.prompt_token_count
        out["totalTokens"] = response.usage_metadata.total_token_count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--call", choices=["stream", "unary", "count", "chat", "abort"], default="stream")
    parser.add_argument("--prompt", default="hello")
    args = parser.parse_args()

    # The one change from calling Google: the base URL.
    client = genai.Client(api_key=args.key, http_options=types.HttpOptions(base_url=args.base_url, api_version="v1beta"))
    contents = HISTORY + [types.Content(role="user", parts=[types.Part(text=args.prompt)])]
    out = {"texts": []}
    try:
        if args.call == "stream":
            for chunk in client.models.generate_content_stream(model=MODEL, contents=contents):
                record(chunk, out)
        elif args.call == "unary":
            record(client.models.generate_content(model=MODEL, contents=contents), out)
        elif args.call == "count":
            out["totalTokens"] = client.models.count_tokens(model=MODEL, contents=contents).total_tokens
        elif args.call == "chat":
            chat = client.chats.create(model=MODEL, history=HISTORY)
            for chunk in chat.send_message_stream(args.prompt):
                record(chunk, out)
            record(chat.send_message("and once more"), out)
            out["history"] = [f"{content.role}: {''.join(part.text or '' for part in content.parts)}" for content in chat.get_history()]
        else:
            stream = client.models.generate_content_stream(model=MODEL, contents=contents)
            record(next(stream), out)
            print(json.dumps({"ready": True}), flush=True)
            sys.stdin.readline()
            stream.close()
            # Still running, so the test sees the close (not the process exit) end the upstream call.
            print(json.dumps({"closed": True}), flush=True)
            sys.stdin.readline()
    except errors.APIError as error:
        out["error"] = {"type": type(error).__name__, "code": error.code, "status": error.status, "message": error.message}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
