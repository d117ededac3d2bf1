// Asks several questions at once over one HTTP/2 connection, a goroutine each, and prints each
// answer when complete.
//
//	go -C examples/go run ./parallel "Name a color." "Name a fruit."
//
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	geminiconnectv1 "github.com/example/gemini-connect/gen/go/geminiconnect/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func main() {
	questions := os.Args[1:]
	if len(questions) == 0 {
		questions = []string{"Name a color.", "Name a fruit.", "Name a planet."}
	}
	client, conn := connect()
	defer conn.Close()

	answers := make([]string, len(questions))
	var wg sync.WaitGroup
	for i, question := range questions {
		wg.Go(func() {
			text, err := ask(client, question)
			if err != nil {
				// One failed question should not hide the other answers.
				st := status.Convert(err)
				text = fmt.Sprintf("error: %s: %s", st.Code(), st.Message())
			}
			answers[i] = text
		})
	}
	wg.Wait()
	for i, question := range questions {
		fmt.Printf("[%d] %s\n%s\n\n", i+1, question, answers[i])
	}
}

func ask(client geminiconnectv1.GenerativeServiceClient, question string) (string, error) {
	ctx, cancel := callContext()
	defer cancel()
	stream, err := client.StreamGenerateContent(ctx, &geminiconnectv1.GenerateContentRequest{
		Model: "models/gemini-2.5-flash",
		Contents: []*geminiconnectv1.Content{{
			Role:  "user",
			Parts: []*geminiconnectv1.Part{{Data: &geminiconnectv1.Part_Text{Text: question}}},
		}},
	})
	if err != nil {
		return "", err
	}
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return text.String(), nil
		}
		if err != nil {
			return "", err
		}
		text.WriteString(answer(chunk))
	}
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
