// Summarizes a PDF (or any file Gemini reads, up to 2 GB) through gemini-connect: uploads it,
// waits until Gemini has processed it, streams the answer to a prompt that references it, then
// deletes the file.
//
//	go -C examples/go run ./files "$PWD/report.pdf" "Summarize this PDF in five bullet points."
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
		fmt.Fprintln(os.Stderr, "usage: files FILE [PROMPT...]")
		os.Exit(2)
	}
	path := os.Args[1]
	mimeType := mime.TypeByExtension(filepath.Ext(path))
	if mimeType == "" {
		mimeType = "application/pdf"
	}
	prompt := strings.Join(os.Args[2:], " ")
	if prompt == "" {
		prompt = "Summarize this document in five bullet points."
	}
	addr := os.Getenv("GEMINI_CONNECT_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	// Cleartext HTTP/2 (h2c), as gemini-connect listens; use TLS credentials in front of a TLS proxy.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if key := os.Getenv("GEMINI_CONNECT_KEY"); key != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	}
	if err := summarize(ctx, conn, path, mimeType, prompt); err != nil {
		fail(err)
	}
}

// summarize uploads the file, waits until it is ready, streams the answer, and deletes the file.
func summarize(ctx context.Context, conn *grpc.ClientConn, path, mimeType, prompt string) error {
	files := geminiconnectv1.NewFileServiceClient(conn)
	gemini := geminiconnectv1.NewGenerativeServiceClient(conn)
	file, err := upload(ctx, files, path, mimeType)
	if err != nil {
		return err
	}
	// Gemini would delete it after 48 hours anyway; a tidy client does not leave it that long.
	defer files.DeleteFile(ctx, &geminiconnectv1.DeleteFileRequest{Name: file.GetName()})

	if file, err = waitUntilReady(ctx, files, file.GetName()); err != nil {
		return err
	}
	stream, err := gemini.StreamGenerateContent(ctx, &geminiconnectv1.GenerateContentRequest{
		Model: "models/gemini-2.5-flash",
		Contents: []*geminiconnectv1.Content{{
			Role: "user",
			Parts: []*geminiconnectv1.Part{
				{Data: &geminiconnectv1.Part_FileData{FileData: &geminiconnectv1.FileData{FileUri: file.GetUri(), MimeType: file.GetMimeType()}}},
				{Data: &geminiconnectv1.Part_Text{Text: prompt}},
			},
		}},
	})
	if err != nil {
		return err
	}
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println()
			return err
		}
		for _, candidate := range chunk.GetCandidates() {
			for _, part := range candidate.GetContent().GetParts() {
				fmt.Print(part.GetText())
			}
		}
	}
	fmt.Println()
	return nil
}

// upload sends the metadata, then the file in 1 MiB chunks read from disk as the upload goes.
func upload(ctx context.Context, files geminiconnectv1.FileServiceClient, path, mimeType string) (*geminiconnectv1.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	stream, err := files.UploadFile(ctx)
	if err != nil {
		return nil, err
	}
	err = stream.Send(&geminiconnectv1.UploadFileRequest{Payload: &geminiconnectv1.UploadFileRequest_Metadata_{
		Metadata: &geminiconnectv1.UploadFileRequest_Metadata{DisplayName: filepath.Base(path), MimeType: mimeType, SizeBytes: info.Size()},
	}})
	buffer := make([]byte, 1<<20)
	for err == nil {
		n, readErr := f.Read(buffer)
		if n > 0 {
			err = stream.Send(&geminiconnectv1.UploadFileRequest{Payload: &geminiconnectv1.UploadFileRequest_Chunk{Chunk: buffer[:n]}})
		}
		if errors.Is(readErr, io.EOF) {
			break
		}
		if readErr != nil {
			return nil, readErr
		}
	}
	// A failed Send means the server ended the call: CloseAndRecv returns its status.
	return stream.CloseAndRecv()
}

// waitUntilReady follows the file until Gemini has processed it (video can take a while).
func waitUntilReady(ctx context.Context, files geminiconnectv1.FileServiceClient, name string) (*geminiconnectv1.File, error) {
	watch, err := files.WatchFile(ctx, &geminiconnectv1.GetFileRequest{Name: name})
	if err != nil {
		return nil, err
	}
	var file *geminiconnectv1.File
	for {
		update, err := watch.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		file = update
	}
	if file.GetState() != geminiconnectv1.File_ACTIVE {
		return nil, fmt.Errorf("Gemini could not process the file: %s", file.GetError().GetMessage())
	}
	return file, nil
}

func fail(err error) {
	st := status.Convert(err)
	fmt.Fprintf(os.Stderr, "error: %s: %s\n", st.Code(), st.Message())
	os.Exit(1)
}
