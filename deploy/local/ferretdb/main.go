// Command ferretdb-launcher runs an embedded FerretDB 1.24 (SQLite backend) on a TCP address.
//
// The upstream `cmd/ferretdb` binary panics when built with `go install` (its generated version
// file is absent from the module zip), so deploy/local/engines.sh builds this launcher instead.
// It also gives every collection an index FerretDB's `_id` lookups can use (idindex.go).
//
// Usage: ferretdb-launcher -listen 127.0.0.1:27018 -sqlite-dir /abs/path/to/data
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27018", "TCP address to listen on")
	dir := flag.String("sqlite-dir", "", "directory for the SQLite databases (created if missing)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn, error")
	flag.Parse()

	if *dir == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-launcher: -sqlite-dir is required")
		os.Exit(2)
	}

	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-launcher: %s\n", err)
		os.Exit(2)
	}
	if err = os.MkdirAll(abs, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-launcher: %s\n", err)
		os.Exit(2)
	}

	var level slog.Level
	if err = level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-launcher: bad -log-level: %s\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// FerretDB's SQLite handler wants a directory URI ending in a slash.
	sqliteURL := "file:" + strings.TrimSuffix(abs, "/") + "/"

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Info("ferretdb-launcher starting", "listen", *listen, "sqlite", sqliteURL)
	go sweepIDIndexes(ctx, abs, 250*time.Millisecond, logger) // see idindex.go

	if err = f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with an error", "error", err)
		os.Exit(1)
	}

	logger.Info("ferretdb-launcher stopped")
}
