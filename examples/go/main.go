// Streams a Gemini answer through gemini-connect to stdout, with grpc-go and the generated client
// in gen/go. Copy this file and gen/go's module to start a client of your own.
//
//	go run . -addr 127.0.0.1:8080 "Why is the sky blue?"
//
// When the gateway checks callers (CALLERS_FILE), put your caller key in GEMINI_CONNECT_KEY.
package main

import (
	"context"
	"errors"
	"flag"
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
	addr := flag.String("addr", "127.0.0.1:8080", "gemini-connect host:port")
	model := flag.String("model", "models/gemini-2.5-flash", "Gemini model")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	prompt := strings.Join(flag.Args(), " ")
	if prompt == "" {
		fmt.Fprintln(os.Stderr, "usage: go run . [-addr host:port] [-model name] PROMPT...")
		os.Exit(2)
	}

	// Cleartext HTTP/2 (h2c), as gemini-connect listens; use TLS credentials in front of a TLS proxy.
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	client := geminiconnectv1.NewGenerativeServiceClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if key := os.Getenv("GEMINI_CONNECT_KEY"); key != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	}
	stream, err := client.StreamGenerateContent(ctx, &geminiconnectv1.GenerateContentRequest{
		Model: *model,
		Contents: []*geminiconnectv1.Content{{
			Role:  "user",
			Parts: []*geminiconnectv1.Part{{Data: &geminiconnectv1.Part_Text{Text: prompt}}},
		}},
	})
	if err != nil {
		fail(err)
	}
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println()
			fail(err)
		}
		for _, candidate := range chunk.GetCandidates() {
			for _, part := range candidate.GetContent().GetParts() {
				fmt.Print(part.GetText())
			}
		}
	}
	fmt.Println()
}

func fail(err error) {
	st := status.Convert(err)
	fmt.Fprintf(os.Stderr, "error: %s: %s\n", st.Code(), st.Message())
	os.Exit(1)
}
