// Command interop-client calls the gateway with grpc-go and the generated client in gen/go, then
// prints one JSON object saying what it saw: the text of each chunk, the finish reason and token
// count of the last one, and the error the call ended with (code name, message, typed details).
// The interop tests (test/interop/go.test.ts) run it against a real server.
//
//	interop-client -addr 127.0.0.1:8080 -call stream -prompt "hello there" [-timeout 1s]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	geminiconnectv1 "github.com/example/gemini-connect/gen/go/geminiconnect/v1"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // registers google.rpc detail types for Details()
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

type report struct {
	Texts        []string `json:"texts"`
	FinishReason string   `json:"finishReason,omitempty"`
	TotalTokens  int32    `json:"totalTokens,omitempty"`
	Error        *rpcErr  `json:"error,omitempty"`
}

type rpcErr struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "gateway host:port (gRPC over cleartext HTTP/2)")
	call := flag.String("call", "stream", "stream (StreamGenerateContent) or unary (GenerateContent)")
	prompt := flag.String("prompt", "hello", "user text")
	model := flag.String("model", "models/gemini-2.5-flash", "model name")
	timeout := flag.Duration("timeout", 10*time.Second, "deadline of the call")
	flag.Parse()

	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop-client:", err)
		os.Exit(2)
	}
	defer conn.Close()
	client := geminiconnectv1.NewGenerativeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	request := &geminiconnectv1.GenerateContentRequest{
		Model: *model,
		Contents: []*geminiconnectv1.Content{{
			Role:  "user",
			Parts: []*geminiconnectv1.Part{{Data: &geminiconnectv1.Part_Text{Text: *prompt}}},
		}},
	}
	out := report{Texts: []string{}}
	switch *call {
	case "stream":
		err = stream(ctx, client, request, &out)
	case "unary":
		var response *geminiconnectv1.GenerateContentResponse
		if response, err = client.GenerateContent(ctx, request); err == nil {
			record(response, &out)
		}
	default:
		fmt.Fprintln(os.Stderr, "interop-client: unknown -call", *call)
		os.Exit(2)
	}
	if err != nil {
		out.Error = describe(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(2)
	}
}

func stream(ctx context.Context, client geminiconnectv1.GenerativeServiceClient, request *geminiconnectv1.GenerateContentRequest, out *report) error {
	chunks, err := client.StreamGenerateContent(ctx, request)
	if err != nil {
		return err
	}
	for {
		chunk, err := chunks.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		record(chunk, out)
	}
}

func record(response *geminiconnectv1.GenerateContentResponse, out *report) {
	for _, candidate := range response.GetCandidates() {
		for _, part := range candidate.GetContent().GetParts() {
			out.Texts = append(out.Texts, part.GetText())
		}
		if candidate.GetFinishReason() != geminiconnectv1.Candidate_FINISH_REASON_UNSPECIFIED {
			out.FinishReason = candidate.GetFinishReason().String()
		}
	}
	if usage := response.GetUsageMetadata(); usage != nil {
		out.TotalTokens = usage.GetTotalTokenCount()
	}
}

// describe decodes a gRPC status: its code, message and the typed details from
// grpc-status-details-bin, each as {"@type": full name, ...its fields in proto JSON}.
func describe(err error) *rpcErr {
	st := status.Convert(err)
	described := &rpcErr{Code: st.Code().String(), Message: st.Message(), Details: []json.RawMessage{}}
	for _, detail := range st.Details() {
		fields := map[string]any{}
		if message, ok := detail.(proto.Message); ok {
			body, _ := protojson.Marshal(message)
			_ = json.Unmarshal(body, &fields)
			fields["@type"] = string(message.ProtoReflect().Descriptor().FullName())
		} else {
			// A detail whose type is not linked in comes back as an error saying so.
			fields["@error"] = fmt.Sprint(detail)
		}
		raw, _ := json.Marshal(fields)
		described.Details = append(described.Details, raw)
	}
	return described
}
