package objects

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestCloseFlushesLargeLog: a store that wrote at least flushAtClose bytes
// since it opened writes them to a table when it closes, so that the next
// Open does not replay and flush them first; one that wrote little leaves
// them in the log. Either way one log is left and everything is there after
// reopening.
func TestCloseFlushesLargeLog(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bytes  int
		tables bool
	}{
		{"small", 16 << 10, false},
		{"large", 2 * flushAtClose, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(context.Background(), Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			mb := s.NewMetaBatch()
			val := make([]byte, 1000)
			n := tc.bytes / len(val)
			for i := range n {
				if err := mb.Set('t', fmt.Appendf(nil, "key %06d", i), val); err != nil {
					t.Fatal(err)
				}
			}
			if err := mb.Commit(true); err != nil {
				t.Fatal(err)
			}
			mb.Close()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			tables, _ := filepath.Glob(filepath.Join(dir, "db", "*.sst"))
			if got := len(tables) > 0; got != tc.tables {
				t.Fatalf("%d bytes written: tables after Close = %v, want %v", tc.bytes, tables, tc.tables)
			}
			// The log written to a table is deleted, not kept for reuse by
			// a process that is about to exit: one log is left, holding
			// what no table holds.
			logs, _ := filepath.Glob(filepath.Join(dir, "db", "*.log"))
			var logBytes int64
			for _, l := range logs {
				if fi, err := os.Stat(l); err == nil {
					logBytes += fi.Size()
				}
			}
			if len(logs) != 1 || (tc.tables && logBytes > 4<<10) {
				t.Fatalf("%d bytes written: logs after Close = %v (%d bytes), want one, empty if flushed", tc.bytes, logs, logBytes)
			}
			s = openStore(t, Options{Dir: dir})
			count := 0
			if err := s.ScanMeta(context.Background(), 't', nil, func(k, v []byte) error { count++; return nil }); err != nil {
				t.Fatal(err)
			}
			if count != n {
				t.Fatalf("%d keys after reopening, want %d", count, n)
			}
		})
	}
}
