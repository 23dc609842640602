package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// streamDataset writes a dataset that exercises every path of a streamed
// pull: a file bigger than several download windows, hundreds of small
// files batched into windows, duplicates, an empty file.
func streamDataset(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{
		"data/big.bin":   randomBytes(11, 40<<20),
		"data/empty":     nil,
		"data/dup/a.bin": randomBytes(12, 100<<10),
		"data/dup/b.bin": randomBytes(12, 100<<10),
	}
	for i := range 300 {
		files[fmt.Sprintf("data/small/%03d/f.bin", i)] = randomBytes(100+i, 1000+i*997)
	}
	w := map[string]string{}
	for p, c := range files {
		w[p] = string(c)
	}
	writeFiles(t, dir, w)
	return files
}

// sameFiles fails unless dir holds exactly want's files under data/.
func sameFiles(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		c, ok := want["data/"+filepath.ToSlash(rel)]
		if !ok {
			return fmt.Errorf("unexpected file %s", rel)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, c) {
			return fmt.Errorf("%s differs", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Fatalf("%s holds %d files, want %d", dir, n, len(want))
	}
}

// pushedStreamDataset commits streamDataset as "ds", pushes it to a new
// file:// remote and returns the remote, the files and a fresh repository
// with only that remote.
func pushedStreamDataset(t *testing.T) (url string, want map[string][]byte, fresh string) {
	t.Helper()
	url = fileRemote(t)
	a := newProject(t)
	want = streamDataset(t, a)
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	mustTrove(t, a, "remote", "add", "origin", url)
	mustTrove(t, a, "push")
	fresh = newProject(t)
	mustTrove(t, fresh, "remote", "add", "origin", url)
	return url, want, fresh
}

type pullJSON struct {
	Written, Skipped, BytesDownloaded int64
}

// TestPullStreamsFromRemote: a pull from a remote writes chunks straight
// into the files (nothing kept in the local store unless --cache), fetches
// only what the folder lacks, and with --cache leaves the repository able
// to pull the version offline.
func TestPullStreamsFromRemote(t *testing.T) {
	url, want, b := pushedStreamDataset(t)
	out1 := filepath.Join(b, "out1")
	var res pullJSON
	// --link copy: on a filesystem that reflinks, auto would keep whole
	// files in the file cache, which is not what this test is about.
	troveJSON(t, b, &res, "pull", "ds", "-o", out1, "--link", "copy")
	sameFiles(t, out1, want)
	if res.Written != int64(len(want)) || res.BytesDownloaded < 40<<20 {
		t.Fatalf("fresh pull: %+v", res)
	}
	mustTrove(t, b, "verify", "ds", out1)

	// Re-pulling into the folder, from a repository that never saw it,
	// downloads the version's metadata only: the files are checked first.
	c := newProject(t)
	mustTrove(t, c, "remote", "add", "origin", url)
	troveJSON(t, c, &res, "pull", "ds", "-o", out1)
	if res.Written != 0 || res.BytesDownloaded > 1<<20 {
		t.Fatalf("pull into an up-to-date folder: %+v", res)
	}

	// The chunks were not kept: without the remote the content is missing,
	// and the failed pull leaves no partial file behind.
	mustTrove(t, b, "remote", "rm", "origin")
	out2 := filepath.Join(b, "out2")
	r := trove(t, b, "pull", "ds", "-o", out2, "--link", "copy")
	if r.code == 0 || !strings.Contains(r.stderr, "not in the local store") {
		t.Fatalf("offline pull of a streamed version: exit %d, %s", r.code, r.stderr)
	}
	noTempFiles(t, out2)

	// With --cache they are kept, and the next pull needs no remote.
	mustTrove(t, b, "remote", "add", "origin", url)
	troveJSON(t, b, &res, "pull", "ds", "--cache", "-o", filepath.Join(b, "out3"))
	sameFiles(t, filepath.Join(b, "out3"), want)
	mustTrove(t, b, "remote", "rm", "origin")
	troveJSON(t, b, &res, "pull", "ds", "-o", out2)
	sameFiles(t, out2, want)
	if res.BytesDownloaded != 0 {
		t.Fatalf("offline pull downloaded %d bytes", res.BytesDownloaded)
	}
}

// TestPullStreamsOnlyWhatIsMissing: a new version of a big file whose
// older version is here streams only the changed chunks, taking the rest
// from the local store.
func TestPullStreamsOnlyWhatIsMissing(t *testing.T) {
	url := fileRemote(t)
	a := newProject(t)
	big := randomBytes(21, 24<<20)
	writeFiles(t, a, map[string]string{"data/big.bin": string(big)})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	mustTrove(t, a, "remote", "add", "origin", url)
	mustTrove(t, a, "push")

	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url)
	mustTrove(t, b, "pull", "ds:v0", "--cache", "-o", filepath.Join(b, "v0"))

	copy(big[7<<20:], randomBytes(22, 3000))
	copy(big[20<<20:], randomBytes(23, 3000))
	writeFiles(t, a, map[string]string{"data/big.bin": string(big)})
	mustTrove(t, a, "commit", "ds", "data")
	mustTrove(t, a, "push")
	mustTrove(t, b, "fetch")
	var res pullJSON
	troveJSON(t, b, &res, "pull", "ds:v1", "-o", filepath.Join(b, "v1"))
	if res.BytesDownloaded == 0 || res.BytesDownloaded > 2<<20 {
		t.Fatalf("pull of v1 downloaded %d bytes for two 3000-byte changes", res.BytesDownloaded)
	}
	got, err := os.ReadFile(filepath.Join(b, "v1", "big.bin"))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("pulled v1 differs (%v)", err)
	}
}

// TestPullStreamCorruptRemote: a chunk damaged on the remote fails the
// pull with the pack named, and no file is left half-written.
func TestPullStreamCorruptRemote(t *testing.T) {
	dir := t.TempDir()
	url := "file://" + dir
	a := newProject(t)
	writeFiles(t, a, map[string]string{"data/big.bin": string(randomBytes(31, 20<<20))})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	mustTrove(t, a, "remote", "add", "origin", url)
	mustTrove(t, a, "push")
	var packs []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "/packs/") {
			packs = append(packs, p)
		}
		return nil
	})
	if len(packs) == 0 {
		t.Fatal("no packs on the remote")
	}
	for _, p := range packs {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte{0xff, 0x00, 0xff}, 3<<20); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url)
	out := filepath.Join(b, "out")
	r := trove(t, b, "pull", "ds", "-o", out)
	if r.code == 0 || !strings.Contains(r.stderr, "pack") || !strings.Contains(r.stderr, "corrupt") {
		t.Fatalf("pull from a damaged remote: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "big.bin")); err == nil {
		t.Fatal("big.bin was written from a damaged pack")
	}
	noTempFiles(t, out)
}

// noTempFiles fails if a pull left temp files under dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".trove-pull-") {
			t.Errorf("temp file left behind: %s", p)
		}
		return nil
	})
}
