// Asks about an image, sent inline with the prompt (up to 20 MB in all; larger files go through
// Gemini's Files API).
//
//	go -C examples/go run ./image "$PWD/examples/sky.png" "Describe this image."
//
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	geminiconnectv1 "github.com/example/gemini-connect/gen/go/geminiconnect/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: image IMAGE [PROMPT...]")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mimeType := mime.TypeByExtension(filepath.Ext(os.Args[1]))
	if mimeType == "" {
		mimeType = http.DetectContentType(data)
	}
	prompt := strings.Join(os.Args[2:], " ")
	if prompt == "" {
		prompt = "Caption this image."
	}
	client, conn := connect()
	defer conn.Close()
	ctx, cancel := callContext()
	defer cancel()

	stream, err := client.StreamGenerateContent(ctx, &geminiconnectv1.GenerateContentRequest{
		Model: "models/gemini-2.5-flash",
		Contents: []*geminiconnectv1.Content{{
			Role: "user",
			Parts: []*geminiconnectv1.Part{
				{Data: &geminiconnectv1.Part_InlineData{InlineData: &geminiconnectv1.Blob{MimeType: mimeType, Data: data}}},
				{Data: &geminiconnectv1.Part_Text{Text: prompt}},
			},
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
		fmt.Print(answer(chunk))
	}
	fmt.Println()
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
