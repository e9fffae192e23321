package main

// FerretDB 1.24's SQLite backend indexes `_id` as `_ferretdb_sjson->"_id"` but looks documents up
// by `_ferretdb_sjson->'$._id'` (its `_id` pushdown for find, update, delete and findAndModify).
// SQLite uses an expression index only for the very expression it was built on, so that index is
// never used and every operation by `_id` scans the whole table: about 90 ms per update at 20,000
// tickets, and a read model that slows down as it grows. The sweeper below adds an index on the
// pushdown's own expression to every collection table, shortly after FerretDB creates it. Nothing
// else changes: FerretDB does not list it (its index catalogue is its own metadata), and dropping
// the collection drops the table with it. One caveat, for a local stand-in engine: if a database
// is dropped during the few milliseconds the sweeper has it open, SQLite may leave a fresh `-wal`
// file behind, which a database later created under the same name would find. Our tests and
// benches never reuse a database name, and a deployment never drops its database.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself runs on
)

// idIndexName is the name of our index on table t (FerretDB names its own `<table>_<index>`).
func idIndexName(table string) string { return table + "_ticketing_id_path" }

// sweepIDIndexes indexes the `_id` path of every collection table in dir's databases, then again
// every `every` for databases that changed, until ctx ends.
func sweepIDIndexes(ctx context.Context, dir string, every time.Duration, logger *slog.Logger) {
	seen := map[string]time.Time{} // database file -> its newest modification swept
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			changed := lastChange(file)
			if at, ok := seen[file]; ok && !changed.After(at) {
				continue
			}
			if err := indexDatabase(ctx, file, logger); err != nil {
				logger.Debug("id index sweep: database skipped for now", "file", file, "error", err)
				continue // a database being created or dropped: next time
			}
			seen[file] = changed
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// lastChange is the newest modification time of a database and its write-ahead log.
func lastChange(file string) time.Time {
	var newest time.Time
	for _, f := range []string{file, file + "-wal"} {
		if info, err := os.Stat(f); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
	}
	return newest
}

// indexDatabase creates the missing `_id` path indexes of one database's collection tables.
func indexDatabase(ctx context.Context, file string, logger *slog.Logger) error {
	// mode=rw: never create a database FerretDB has just dropped.
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	rows, err := db.QueryContext(ctx,
		`SELECT c.table_name FROM _ferretdb_collections c WHERE NOT EXISTS (
			SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ?)`,
		"_ticketing_id_path")
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var table string
		if err = rows.Scan(&table); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, table)
	}
	rows.Close()
	if err = rows.Err(); err != nil {
		return err
	}

	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`,
			idIndexName(table), table)
		if _, err = db.ExecContext(ctx, q); err != nil {
			return err // dropped meanwhile, say: the next sweep sees
		}
		logger.Debug("id index created", "file", filepath.Base(file), "table", table)
	}
	return nil
}
