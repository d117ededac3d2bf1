// Command gapic-client calls the gateway with Google's own generated Go client for the Gemini API,
// cloud.google.com/go/ai/generativelanguage/apiv1beta, unchanged but for the connection it is
// given: gRPC over cleartext HTTP/2 to the gateway, the caller key as x-goog-api-key metadata. It
// prints one JSON object saying what it saw: the text of each chunk, the finish reason and token
// counts, and the error the call ended with, its RetryInfo and QuotaFailure decoded by the
// client's own error type (apierror). The interop tests (test/interop/google-clients.test.ts) run it.
//
//	gapic-client -addr 127.0.0.1:8080 -key KEY -call stream|unary|count -prompt "hello there"
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

	generativelanguage "cloud.google.com/go/ai/generativelanguage/apiv1beta"
	"cloud.google.com/go/ai/generativelanguage/apiv1beta/generativelanguagepb"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

type report struct {
	Texts        []string `json:"texts"`
	FinishReason string   `json:"finishReason,omitempty"`
	PromptTokens int32    `json:"promptTokens,omitempty"`
	TotalTokens  int32    `json:"totalTokens,omitempty"`
	Error        *apiErr  `json:"error,omitempty"`
}

type apiErr struct {
	Code         string   `json:"code"`
	Message      string   `json:"message"`
	RetryDelayMs int64    `json:"retryDelayMs,omitempty"`
	QuotaIDs     []string `json:"quotaIds,omitempty"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "gateway host:port (gRPC over cleartext HTTP/2)")
	key := flag.String("key", "", "caller key, sent as x-goog-api-key")
	call := flag.String("call", "stream", "stream, unary or count")
	prompt := flag.String("prompt", "hello", "the last user turn, after a short history")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if *key != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-goog-api-key", *key)
	}
	// The one change from calling Google: a connection to the gateway instead of Google's endpoint.
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	client, err := generativelanguage.NewGenerativeClient(ctx, option.WithGRPCConn(conn))
	if err != nil {
		fail(err)
	}
	defer client.Close()

	request := &generativelanguagepb.GenerateContentRequest{
		Model: "models/gemini-2.5-flash",
		Contents: []*generativelanguagepb.Content{
			turn("user", "hi"),
			turn("model", "hello, how can I help?"),
			turn("user", *prompt),
		},
	}
	out := report{Texts: []string{}}
	switch *call {
	case "stream":
		err = stream(ctx, client, request, &out)
	case "unary":
		var response *generativelanguagepb.GenerateContentResponse
		if response, err = client.GenerateContent(ctx, request); err == nil {
			record(response, &out)
		}
	case "count":
		var response *generativelanguagepb.CountTokensResponse
		if response, err = client.CountTokens(ctx, &generativelanguagepb.CountTokensRequest{Model: request.Model, Contents: request.Contents}); err == nil {
			out.TotalTokens = response.GetTotalTokens()
		}
	default:
		fail(fmt.Errorf("unknown -call %q", *call))
	}
	if err != nil {
		out.Error = describe(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(2)
	}
}

func turn(role, text string) *generativelanguagepb.Content {
	return &generativelanguagepb.Content{Role: role, Parts: []*generativelanguagepb.Part{{Data: &generativelanguagepb.Part_Text{Text: text}}}}
}

func stream(ctx context.Context, client *generativelanguage.GenerativeClient, request *generativelanguagepb.GenerateContentRequest, out *report) error {
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

func record(response *generativelanguagepb.GenerateContentResponse, out *report) {
	for _, candidate := range response.GetCandidates() {
		for _, part := range candidate.GetContent().GetParts() {
			out.Texts = append(out.Texts, part.GetText())
		}
		if candidate.GetFinishReason() != generativelanguagepb.Candidate_FINISH_REASON_UNSPECIFIED {
			out.FinishReason = candidate.GetFinishReason().String()
		}
	}
	if usage := response.GetUsageMetadata(); usage != nil {
		out.PromptTokens = usage.GetPromptTokenCount()
		out.TotalTokens = usage.GetTotalTokenCount()
	}
}

// describe reads the error as a GAPIC user does: apierror decodes the status details into their types.
func describe(err error) *apiErr {
	var ae *apierror.APIError
	if !errors.As(err, &ae) {
		return &apiErr{Code: "not an apierror.APIError", Message: err.Error()}
	}
	described := &apiErr{Code: ae.GRPCStatus().Code().String(), Message: ae.GRPCStatus().Message()}
	details := ae.Details()
	if details.RetryInfo != nil {
		described.RetryDelayMs = details.RetryInfo.GetRetryDelay().AsDuration().Milliseconds()
	}
	if details.QuotaFailure != nil {
		for _, violation := range details.QuotaFailure.GetViolations() {
			described.QuotaIDs = append(described.QuotaIDs, violation.GetQuotaId())
		}
	}
	return described
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gapic-client:", err)
	os.Exit(2)
}
