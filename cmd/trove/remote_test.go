package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trove-ml/trove/internal/s3test"
)

// fileRemote returns a file:// URL of a fresh folder.
func fileRemote(t *testing.T) string {
	return "file://" + t.TempDir()
}

// sharingRemote returns the URL of a fresh file remote and two new
// projects that have it as origin.
func sharingRemote(t *testing.T) (url, a, b string) {
	t.Helper()
	url = fileRemote(t)
	return url, projectOn(t, url), projectOn(t, url)
}

// TestRemoteRoundTrip: push from one repository, pull into a fresh one
// with only the remote configured.
func TestRemoteRoundTrip(t *testing.T) {
	url := fileRemote(t)
	a := newProject(t)
	big := randomBytes(7, 10<<20)
	writeFiles(t, a, map[string]string{"data/big.bin": string(big), "data/x/small.txt": "small", "data/empty": ""})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data", "--alias", "best")
	mustTrove(t, a, "remote", "add", "origin", url)
	out := mustTrove(t, a, "push")
	if !strings.Contains(out, "ds:v0 -> origin") {
		t.Fatalf("push said %q", out)
	}
	// Pushing again uploads nothing.
	var again struct{ Packs int }
	troveJSON(t, a, &again, "push")
	if again.Packs != 0 {
		t.Fatalf("second push uploaded %d packs", again.Packs)
	}

	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url)
	dst := filepath.Join(b, "out")
	mustTrove(t, b, "pull", "ds:best", "-o", dst)
	got, err := os.ReadFile(filepath.Join(dst, "big.bin"))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("pulled big.bin differs (%v)", err)
	}
	mustTrove(t, b, "verify", "ds:best", dst)
	mustTrove(t, b, "fsck")

	// A new version with one changed region uploads only that region.
	copy(big[5<<20:], randomBytes(8, 1000))
	writeFiles(t, a, map[string]string{"data/big.bin": string(big)})
	mustTrove(t, a, "commit", "ds", "data")
	if out := mustTrove(t, a, "log", "ds"); !strings.Contains(out, "v1 (local)") || strings.Contains(out, "v0 (local)") {
		t.Fatalf("log does not mark the unpushed version:\n%s", out)
	}
	var inc struct{ Bytes int64 }
	troveJSON(t, a, &inc, "push")
	if inc.Bytes > 1<<20 {
		t.Fatalf("incremental push uploaded %d bytes for a 1000-byte change", inc.Bytes)
	}
	mustTrove(t, b, "fetch")
	var log []versionJSON
	troveJSON(t, b, &log, "log", "ds")
	if len(log) != 2 || log[0].Version != "v1" || strings.Join(log[1].Aliases, ",") != "best" {
		t.Fatalf("log after fetch = %+v", log)
	}
}

// TestConcurrentPush: two repositories commit the same artifact and push at
// once; both land with distinct numbers, nothing is lost, and after fetch
// both number the versions as the remote does.
func TestConcurrentPush(t *testing.T) {
	url := fileRemote(t)
	var repos [3]string
	for i := range repos {
		repos[i] = newProject(t)
		mustTrove(t, repos[i], "remote", "add", "origin", url)
	}
	writeFiles(t, repos[0], map[string]string{"d/f": "base"})
	mustTrove(t, repos[0], "commit", "ds", "--type", "dataset", "d")
	mustTrove(t, repos[0], "push")
	mustTrove(t, repos[1], "fetch")
	mustTrove(t, repos[2], "fetch")
	writeFiles(t, repos[1], map[string]string{"d/f": "from one"})
	writeFiles(t, repos[2], map[string]string{"d/f": "from two"})
	mustTrove(t, repos[1], "commit", "ds", "d")
	mustTrove(t, repos[2], "commit", "ds", "d")

	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = trove(t, repos[i+1], "push")
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("push %d: exit %d: %s", i+1, r.code, r.stderr)
		}
	}
	for _, r := range repos {
		mustTrove(t, r, "fetch")
	}
	var logs [3][]versionJSON
	for i, r := range repos {
		troveJSON(t, r, &logs[i], "log", "ds")
		if len(logs[i]) != 3 {
			t.Fatalf("repo %d has %d versions after fetch, want 3: %+v", i, len(logs[i]), logs[i])
		}
	}
	for i := 1; i < 3; i++ {
		for j := range logs[0] {
			if logs[i][j].Version != logs[0][j].Version || logs[i][j].Digest != logs[0][j].Digest {
				t.Fatalf("repo %d numbers versions differently: %+v vs %+v", i, logs[i], logs[0])
			}
		}
	}
	// Both contents are there, under distinct numbers.
	seen := map[string]bool{}
	for _, v := range logs[0] {
		seen[v.Digest] = true
	}
	if len(seen) != 3 {
		t.Fatalf("versions share digests: %+v", logs[0])
	}
}

// TestIdenticalContentCollapses: two repositories committing the same
// content make one version on the remote.
func TestIdenticalContentCollapses(t *testing.T) {
	url := fileRemote(t)
	a, b := newProject(t), newProject(t)
	for _, d := range []string{a, b} {
		writeFiles(t, d, map[string]string{"d/f": "same"})
		mustTrove(t, d, "remote", "add", "origin", url)
		mustTrove(t, d, "commit", "ds", "--type", "dataset", "d")
	}
	mustTrove(t, a, "push")
	out := mustTrove(t, b, "push")
	if !strings.Contains(out, "equals ds:v0 already on origin") {
		t.Fatalf("second push said %q", out)
	}
	var log []versionJSON
	troveJSON(t, b, &log, "log", "ds")
	if len(log) != 1 {
		t.Fatalf("log = %+v, want one version", log)
	}
}

// TestAliasConflict: two clones move one alias differently; the second to
// push is told its move lost, and the remote keeps the first.
func TestAliasConflict(t *testing.T) {
	url := fileRemote(t)
	a, b := newProject(t), newProject(t)
	writeFiles(t, a, map[string]string{"d/f": "one"})
	mustTrove(t, a, "remote", "add", "origin", url)
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "d")
	writeFiles(t, a, map[string]string{"d/f": "two"})
	mustTrove(t, a, "commit", "ds", "d")
	mustTrove(t, a, "push")
	mustTrove(t, b, "remote", "add", "origin", url)
	mustTrove(t, b, "fetch")

	mustTrove(t, a, "alias", "set", "ds:v0", "best")
	mustTrove(t, b, "alias", "set", "ds:v1", "best")
	mustTrove(t, a, "push")
	r := trove(t, b, "push")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, `alias "best"`) {
		t.Fatalf("conflicting push: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var show showJSON
	troveJSON(t, b, &show, "show", "ds:best")
	if show.Version != "v0" {
		t.Fatalf("after losing the race, best names %s, want the winner's v0", show.Version)
	}
}

// TestKilledPush: a push killed at any point leaves the remote consistent;
// rerunning it uploads only what is missing, and a clone pulls everything.
func TestKilledPush(t *testing.T) {
	url := fileRemote(t)
	a := newProject(t)
	for i := range 6 {
		writeFiles(t, a, map[string]string{filepath.Join("data", string(rune('a'+i))): string(randomBytes(20+i, 12<<20))})
	}
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	// A push to another remote says how long one takes here, so that the
	// kills land within the push (and, most likely, within a pack).
	mustTrove(t, a, "remote", "add", "timing", fileRemote(t))
	start := time.Now()
	mustTrove(t, a, "push", "--remote", "timing")
	d := time.Since(start)
	mustTrove(t, a, "remote", "add", "origin", url)
	for _, delay := range []time.Duration{50 * time.Millisecond, d / 4, d / 2, 3 * d / 4} {
		cmd := troveProc(t, a, "push")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		// Whatever landed, a fresh clone sees a consistent remote: either
		// no version yet, or one it can pull in full.
		b := newProject(t)
		mustTrove(t, b, "remote", "add", "origin", url)
		if r := trove(t, b, "fetch"); r.code == 0 && strings.Contains(r.stdout, "1 new") {
			mustTrove(t, b, "pull", "ds", "-o", filepath.Join(b, "out"))
			mustTrove(t, b, "verify", "ds", filepath.Join(b, "out"))
		}
	}
	var res struct{ Bytes int64 }
	troveJSON(t, a, &res, "push")
	if res.Bytes >= 72<<20 {
		t.Logf("rerun uploaded %d bytes: the kills landed before any pack", res.Bytes)
	}
	// The killed pushes' temp files are invisible to readers; a remote GC
	// (grace 0: no push runs now) removes them and nothing else.
	temps := func() (n int, size int64) {
		_ = filepath.WalkDir(strings.TrimPrefix(url, "file://"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && strings.HasPrefix(d.Name(), ".trove-tmp-") {
				fi, _ := d.Info()
				n, size = n+1, size+fi.Size()
			}
			return nil
		})
		return n, size
	}
	left, leftBytes := temps()
	t.Logf("the kills left %d temp files, %d bytes", left, leftBytes)
	var gcRes gcJSON
	troveJSON(t, a, &gcRes, "gc", "--remote", "origin", "--grace", "0")
	if gcRes.Unfinished != left || gcRes.UnfinishedBytes != leftBytes {
		t.Errorf("gc removed %d unfinished uploads (%d bytes); the kills left %d (%d bytes)", gcRes.Unfinished, gcRes.UnfinishedBytes, left, leftBytes)
	}
	if n, _ := temps(); n != 0 {
		t.Errorf("%d temp files left after gc", n)
	}
	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url)
	mustTrove(t, b, "pull", "ds", "-o", filepath.Join(b, "out"))
	mustTrove(t, b, "verify", "ds", filepath.Join(b, "out"))
}

// TestS3Remote runs a round trip through a real S3 server (versitygw on
// 127.0.0.1).
func TestS3Remote(t *testing.T) {
	srv := s3server.Server(t)
	bucket := srv.NewBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_REGION", srv.Region)
	url := "s3://" + bucket + "/team/project"

	a := newProject(t)
	data := randomBytes(9, 3<<20)
	writeFiles(t, a, map[string]string{"m/model.bin": string(data), "m/config.json": `{"layers": 3}`})
	mustTrove(t, a, "commit", "model", "--type", "model", "m", "--alias", "prod")
	mustTrove(t, a, "remote", "add", "origin", url, "--endpoint", srv.Endpoint)
	mustTrove(t, a, "push")

	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url, "--endpoint", srv.Endpoint)
	dst := filepath.Join(b, "out")
	mustTrove(t, b, "pull", "model:prod", "-o", dst)
	mustTrove(t, b, "verify", "model:prod", dst)

	// The objects sit under the prefix, in the documented layout.
	for _, want := range []string{"trove-format", "refs/artifacts/model", "index", "packs"} {
		if _, err := os.Stat(filepath.Join(srv.Dir, bucket, "team", "project", want)); err != nil {
			t.Errorf("bucket lacks %s: %v", want, err)
		}
	}
	// Credentials never reach the repository's config.
	cfg, _ := os.ReadFile(filepath.Join(a, ".trove", "config"))
	if bytes.Contains(cfg, []byte(srv.SecretKey)) || bytes.Contains(cfg, []byte(srv.AccessKey)) {
		t.Fatal("credentials were written to .trove/config")
	}
	// A multipart upload of a push that died goes at the next remote GC
	// (grace 0: no push runs now).
	ctx := context.Background()
	up, err := srv.Client().CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("team/project/packs/ab/killed")})
	if err != nil {
		t.Fatal(err)
	}
	part := randomBytes(10, 5<<20)
	_, err = srv.Client().UploadPart(ctx, &awss3.UploadPartInput{Bucket: &bucket, Key: aws.String("team/project/packs/ab/killed"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(part)})
	if err != nil {
		t.Fatal(err)
	}
	var gcRes gcJSON
	troveJSON(t, a, &gcRes, "gc", "--remote", "origin", "--grace", "0")
	if gcRes.Unfinished != 1 || gcRes.UnfinishedBytes != int64(len(part)) {
		t.Errorf("gc removed %d unfinished uploads (%d bytes), want the dead push's (%d bytes)", gcRes.Unfinished, gcRes.UnfinishedBytes, len(part))
	}
	ups, err := srv.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(ups.Uploads) != 0 {
		t.Errorf("uploads after gc: %v, %v", ups, err)
	}
	mustTrove(t, b, "pull", "model:prod", "-o", filepath.Join(b, "again"))

	// A wrong secret is refused with a clear error.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	c := newProject(t)
	r := trove(t, c, "remote", "add", "origin", url, "--endpoint", srv.Endpoint)
	if r.code == 0 {
		t.Fatal("remote add with a wrong secret succeeded")
	}
}

// TestRemoteBadInput: unknown schemes, relative file paths and missing
// remotes are clear errors.
func TestRemoteBadInput(t *testing.T) {
	a := newProject(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"remote", "add", "origin", "ftp://x/y"}, "unknown scheme"},
		{[]string{"remote", "add", "origin", "file://relative/path"}, "file:///path"},
		{[]string{"remote", "add", "bad name", "file:///tmp"}, "remote name"},
		{[]string{"push"}, "trove remote add"},
		{[]string{"fetch", "--remote", "nope"}, `"nope" (configured: none;`},
	} {
		r := trove(t, a, tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("trove %v: exit %d, stderr %q; want an error mentioning %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestRegistryThroughRemote: links made on one clone are seen on another
// after fetch, and two clones linking into one collection at once both
// land, with distinct collection versions.
func TestRegistryThroughRemote(t *testing.T) {
	url := fileRemote(t)
	a, b := newProject(t), newProject(t)
	for _, d := range []string{a, b} {
		mustTrove(t, d, "remote", "add", "origin", url)
	}
	writeFiles(t, a, map[string]string{"m/w.bin": "weights one"})
	mustTrove(t, a, "commit", "clf", "--type", "model", "m")
	writeFiles(t, a, map[string]string{"m/w.bin": "weights two"})
	mustTrove(t, a, "commit", "clf", "m")
	mustTrove(t, a, "link", "clf:v0", "registry/model/classifier", "--alias", "production")
	mustTrove(t, a, "push")

	mustTrove(t, b, "fetch")
	dst := filepath.Join(b, "out")
	mustTrove(t, b, "pull", "registry/model/classifier:production", "-o", dst)
	if got, _ := os.ReadFile(filepath.Join(dst, "w.bin")); string(got) != "weights one" {
		t.Fatalf("pulled %q through the registry", got)
	}

	// Concurrent links into one collection.
	mustTrove(t, a, "link", "clf:v1", "registry/model/classifier")
	mustTrove(t, b, "link", "acme/wandb-registry-model/classifier:v0", "registry/model/other")
	writeFiles(t, b, map[string]string{"m/w.bin": "weights three"})
	mustTrove(t, b, "commit", "clf", "m")
	mustTrove(t, b, "link", "clf:latest", "registry/model/classifier", "--alias", "staging")
	mustTrove(t, a, "push")
	mustTrove(t, b, "push")
	mustTrove(t, a, "fetch")
	var show struct {
		Links   int               `json:"links"`
		Aliases map[string]string `json:"aliases"`
	}
	troveJSON(t, a, &show, "registry", "show", "registry/model/classifier")
	if show.Links != 3 || show.Aliases["production"] != "v0" || show.Aliases["staging"] != "v2" {
		t.Fatalf("collection after concurrent links: %+v, want 3 links, production=v0, staging=v2", show)
	}
	dst = filepath.Join(a, "staging")
	mustTrove(t, a, "pull", "registry/model/classifier:staging", "-o", dst)
	if got, _ := os.ReadFile(filepath.Join(dst, "w.bin")); string(got) != "weights three" {
		t.Fatalf("pulled %q through the registry on the other clone", got)
	}
}

// TestBackgroundPush: push --background returns at once; push --wait
// waits for the upload and reports how it ended.
func TestBackgroundPush(t *testing.T) {
	t.Setenv("TROVE_TEST_AS_MAIN", "1") // the child is this test binary acting as trove
	url := fileRemote(t)
	a := newProject(t)
	writeFiles(t, a, map[string]string{"d/f": string(randomBytes(3, 4<<20))})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "d")
	mustTrove(t, a, "remote", "add", "origin", url)
	out := mustTrove(t, a, "push", "--background")
	if !strings.Contains(out, "pushing in the background") {
		t.Fatalf("push --background said %q", out)
	}
	out = mustTrove(t, a, "push", "--wait")
	if !strings.Contains(out, "ds:v0 -> origin") {
		t.Fatalf("push --wait said %q", out)
	}
	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url)
	mustTrove(t, b, "pull", "ds", "-o", filepath.Join(b, "out"))
}

// TestPullOneFileTransfersLittle: pulling one small file of a large version
// from a remote downloads about that file, not the version.
func TestPullOneFileTransfersLittle(t *testing.T) {
	url := fileRemote(t)
	a := newProject(t)
	writeFiles(t, a, map[string]string{"d/big.bin": string(randomBytes(4, 48<<20)), "d/sub/small.bin": string(randomBytes(5, 1<<20))})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "d")
	mustTrove(t, a, "remote", "add", "origin", url)
	mustTrove(t, a, "push")
	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url)
	var res struct {
		Written         int64
		BytesDownloaded int64
	}
	troveJSON(t, b, &res, "pull", "ds", "--prefix", "sub/small.bin", "-o", filepath.Join(b, "out"))
	if res.Written != 1 || res.BytesDownloaded > 2<<20 {
		t.Fatalf("pulled %d files, downloading %d bytes; want 1 file and about 1 MiB", res.Written, res.BytesDownloaded)
	}
	got, _ := os.ReadFile(filepath.Join(b, "out", "sub", "small.bin"))
	if !bytes.Equal(got, randomBytes(5, 1<<20)) {
		t.Fatal("pulled file differs")
	}
}

// TestLockFallback: a server that ignores conditional writes is refused;
// with --lock-fallback, concurrent pushes through lock objects still both
// land.
func TestLockFallback(t *testing.T) {
	srv := s3server.Server(t)
	bucket := srv.NewBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_REGION", srv.Region)
	// The proxy answers every conditional request "200 OK" without doing
	// anything: a server that ignores conditions.
	proxy := s3test.NewProxy(t, srv.Endpoint, s3test.Rule{
		Every: 1, Fault: s3test.Respond, Status: 200,
		Match: func(r *http.Request) bool {
			return r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Match") != ""
		},
	})
	url := "s3://" + bucket + "/p"
	a, b := newProject(t), newProject(t)
	r := trove(t, a, "remote", "add", "origin", url, "--endpoint", proxy.URL)
	if r.code == 0 || !strings.Contains(r.stderr, "conditional writes") {
		t.Fatalf("remote add on a server without conditional writes: exit %d: %s", r.code, r.stderr)
	}
	for i, d := range []string{a, b} {
		mustTrove(t, d, "remote", "add", "origin", url, "--endpoint", proxy.URL, "--lock-fallback")
		writeFiles(t, d, map[string]string{"d/f": fmt.Sprintf("content %d", i)})
		mustTrove(t, d, "commit", "ds", "--type", "dataset", "d")
	}
	var wg sync.WaitGroup
	res := make([]result, 2)
	for i, d := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = trove(t, d, "push")
		}()
	}
	wg.Wait()
	for i, r := range res {
		if r.code != 0 {
			t.Fatalf("push %d: exit %d: %s", i, r.code, r.stderr)
		}
	}
	mustTrove(t, a, "fetch")
	var log []versionJSON
	troveJSON(t, a, &log, "log", "ds")
	if len(log) != 2 {
		t.Fatalf("after concurrent pushes under lease locks: %+v, want 2 versions", log)
	}
}

// TestLineageThroughRemote: runs and their edges travel with the versions
// they touch; lineage on a fresh clone matches the original.
func TestLineageThroughRemote(t *testing.T) {
	troveOnPath(t)
	url := fileRemote(t)
	a := newProject(t)
	writeFiles(t, a, map[string]string{"raw/x": "raw data"})
	mustTrove(t, a, "commit", "raw", "--type", "dataset", "raw")
	mustTrove(t, a, "run", "--name", "prep", "--job-type", "preprocess", "--",
		"sh", "-c", "trove use raw:latest && mkdir -p clean && echo clean > clean/x && trove commit clean --type dataset clean")
	mustTrove(t, a, "remote", "add", "origin", url)
	mustTrove(t, a, "push")

	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url)
	mustTrove(t, b, "fetch")
	want := mustTrove(t, a, "lineage", "clean:latest", "--format", "json")
	got := mustTrove(t, b, "lineage", "clean:latest", "--format", "json")
	if got != want {
		t.Fatalf("lineage differs on the clone:\n--- original\n%s\n--- clone\n%s", want, got)
	}
	if !strings.Contains(got, "prep") {
		t.Fatalf("lineage lacks the run:\n%s", got)
	}
}

// TestPushAfterRemoteDeletion: a clone that fetched a version, never pulled
// it, and finds it deleted and collected on the remote since, pushes its
// own work with a plain 'trove push': the deleted version is not sent
// again (deletions win), and its deletion reaches the clone.
func TestPushAfterRemoteDeletion(t *testing.T) {
	url := fileRemote(t)
	a, b := newProject(t), newProject(t)
	src := t.TempDir()
	mustTrove(t, a, "remote", "add", "origin", url)
	// One push per version: v0's content in packs of its own, which the
	// remote GC deletes whole.
	writeFiles(t, src, map[string]string{"f": "zero"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", src)
	mustTrove(t, a, "push")
	writeFiles(t, src, map[string]string{"f": "one"})
	mustTrove(t, a, "commit", "ds", src)
	mustTrove(t, a, "push")
	mustTrove(t, b, "remote", "add", "origin", url)
	mustTrove(t, b, "fetch")

	mustTrove(t, a, "delete", "ds:v0")
	mustTrove(t, a, "push")
	mustTrove(t, a, "gc", "--remote", "origin", "--grace", "0")
	mustTrove(t, a, "gc", "--remote", "origin", "--grace", "0")

	writeFiles(t, src, map[string]string{"g": "mine"})
	mustTrove(t, b, "commit", "x", "--type", "dataset", filepath.Join(src, "g"))
	mustTrove(t, b, "push")
	if r := trove(t, b, "show", "ds:v0"); r.code == 0 || !strings.Contains(r.stderr, "deleted") {
		t.Fatalf("ds:v0 in the clone after its push: exit %d %s", r.code, r.stderr)
	}
	mustTrove(t, b, "show", "ds:v1")
}
