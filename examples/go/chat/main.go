// A chat: each argument is your next turn; every request carries the whole conversation so far,
// Gemini's own turns included, as Gemini's chats do.
//
//	go -C examples/go run ./chat "I have 2 dogs in my house." "How many paws are in my house?"
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
	"time"

	geminiconnectv1 "github.com/example/gemini-connect/gen/go/geminiconnect/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func main() {
	turns := os.Args[1:]
	if len(turns) == 0 {
		turns = []string{"I have 2 dogs in my house.", "How many paws are in my house?"}
	}
	client, conn := connect()
	defer conn.Close()

	var history []*geminiconnectv1.Content
	for _, turn := range turns {
		fmt.Printf("> %s\n", turn)
		history = append(history, &geminiconnectv1.Content{
			Role:  "user",
			Parts: []*geminiconnectv1.Part{{Data: &geminiconnectv1.Part_Text{Text: turn}}},
		})
		reply, err := say(client, history)
		if err != nil {
			fmt.Println()
			fail(err)
		}
		fmt.Print("\n\n")
		history = append(history, reply)
	}
}

// say streams Gemini's turn to stdout and returns it whole, every part of every chunk (thought
// signatures included): the next request must carry it as Gemini sent it.
func say(client geminiconnectv1.GenerativeServiceClient, history []*geminiconnectv1.Content) (*geminiconnectv1.Content, error) {
	ctx, cancel := callContext()
	defer cancel()
	stream, err := client.StreamGenerateContent(ctx, &geminiconnectv1.GenerateContentRequest{
		Model:    "models/gemini-2.5-flash",
		Contents: history,
	})
	if err != nil {
		return nil, err
	}
	reply := &geminiconnectv1.Content{Role: "model"}
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return reply, nil
		}
		if err != nil {
			return nil, err
		}
		fmt.Print(answer(chunk))
		reply.Parts = append(reply.Parts, first(chunk).GetContent().GetParts()...)
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
