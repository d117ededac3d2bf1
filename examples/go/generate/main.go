// One complete answer in one call (GenerateContent), then the token count of the same prompt.
//
//	go -C examples/go run ./generate "How does AI work?"
//
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	geminiconnectv1 "github.com/example/gemini-connect/gen/go/geminiconnect/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func main() {
	prompt := strings.Join(os.Args[1:], " ")
	if prompt == "" {
		prompt = "How does AI work?"
	}
	model := "models/gemini-2.5-flash"
	contents := []*geminiconnectv1.Content{{
		Role:  "user",
		Parts: []*geminiconnectv1.Part{{Data: &geminiconnectv1.Part_Text{Text: prompt}}},
	}}
	client, conn := connect()
	defer conn.Close()
	ctx, cancel := callContext()
	defer cancel()

	response, err := client.GenerateContent(ctx, &geminiconnectv1.GenerateContentRequest{Model: model, Contents: contents})
	if err != nil {
		// ResourceExhausted and Unavailable are worth a retry later; the rest are not.
		fail(err)
	}
	count, err := client.CountTokens(ctx, &geminiconnectv1.CountTokensRequest{Model: model, Contents: contents})
	if err != nil {
		fail(err)
	}
	fmt.Println(answer(response))
	fmt.Printf("(prompt: %d tokens, answer: %d tokens)\n", count.GetTotalTokens(), response.GetUsageMetadata().GetCandidatesTokenCount())
}

// connect opens a client on GEMINI_CONNECT_ADDR. Cleartext HTTP/2 (h2c), as gemini-connect listens;
// use TLS credentials in front of a TLS proxy.
func connect() (geminiconnectv1.GenerativeServiceClient, *grpc.ClientConn) {
	addr := os.Getenv("GEMINI_CONNECT_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail(err)
	}
	return geminiconnectv1.NewGenerativeServiceClient(conn), conn
}

// callContext bounds a call to two minutes and carries the caller key, if any.
func callContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	if key := os.Getenv("GEMINI_CONNECT_KEY"); key != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	}
	return ctx, cancel
}

// answer is the text of a response's first candidate; thoughts (with IncludeThoughts) are left out.
func answer(response *geminiconnectv1.GenerateContentResponse) string {
	var text strings.Builder
	for _, part := range first(response).GetContent().GetParts() {
		if !part.GetThought() {
			text.WriteString(part.GetText())
		}
	}
	return text.String()
}

// first is a response's first candidate, or nil (whose getters return zero values).
func first(response *geminiconnectv1.GenerateContentResponse) *geminiconnectv1.Candidate {
	if candidates := response.GetCandidates(); len(candidates) > 0 {
		return candidates[0]
	}
	return nil
}

func fail(err error) {
	st := status.Convert(err)
	fmt.Fprintf(os.Stderr, "error: %s: %s\n", st.Code(), st.Message())
	os.Exit(1)
}
