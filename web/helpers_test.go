package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/web/gonumlayout"
	"github.com/trove-ml/trove/web/layout"
)

// gonumlayout is the layout the UI ships with.
var _ Layouter = (*gonumlayout.Layouter)(nil)

// noLayout asks serve for a server without a layout engine.
type noLayout struct{}

func (noLayout) Layout(context.Context, *layout.Graph) (*layout.Placement, error) {
	return nil, errors.New("noLayout is never called")
}

// testUser is who makes the test repositories' versions, links and runs.
const testUser = "ana"

// fixture is a repository and a UI serving it.
type fixture struct {
	root string
	srv  *Server
	hs   *httptest.Server
	// recs maps "name:vN" to version record ids.
	recs map[string]objects.ID
	// runs maps run names to ids.
	runs map[string]string
}

// serve starts a UI over the repository at root. opts.Open defaults to
// opening root with a short lock wait, opts.Layout to gonumlayout.
func serve(t *testing.T, f *fixture, opts Options) *fixture {
	t.Helper()
	if opts.Open == nil {
		opts.Open = func(ctx context.Context) (*repo.Repo, error) {
			return repo.Open(ctx, f.root, repo.Options{LockTimeout: 5 * time.Second})
		}
	}
	switch opts.Layout.(type) {
	case nil:
		opts.Layout = gonumlayout.New()
	case noLayout:
		opts.Layout = nil
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.hs = httptest.NewServer(srv)
	t.Cleanup(func() {
		f.hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return f
}

// get fetches path from the fixture's server.
func (f *fixture) get(t *testing.T, path string, header ...string) (*http.Response, string) {
	t.Helper()
	return f.do(t, http.MethodGet, path, header...)
}

func (f *fixture) do(t *testing.T, method, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.hs.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, string(b)
}

// getJSON fetches path as JSON into v, expecting 200.
func (f *fixture) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, body := f.get(t, path, "Accept", "application/json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       time.Minute,
}

// builder makes a test repository through the domain APIs.
type builder struct {
	t    *testing.T
	ctx  context.Context
	r    *repo.Repo
	runs *lineage.Store
	regs *registry.Registries
	f    *fixture
	now  time.Time
}

func newBuilder(t *testing.T) *builder {
	t.Helper()
	root := t.TempDir()
	ctx := context.Background()
	r, err := repo.Init(ctx, root, repo.InitOptions{Project: "demo"}, repo.Options{User: testUser, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{t: t, ctx: ctx, r: r, now: time.Now().UTC(),
		f: &fixture{root: root, recs: map[string]objects.ID{}, runs: map[string]string{}}}
	b.runs = lineage.New(lineage.Options{Refs: r.RefsKV(), Edges: r.MetaKV(repo.NSLineage), Objects: r.Store(), Logs: r.Refs()})
	b.regs = registry.New(r.RefsKV(), registry.Options{User: testUser})
	return b
}

// done closes the repository, so the server can open it.
func (b *builder) done() *fixture {
	b.t.Helper()
	if err := b.r.Close(); err != nil {
		b.t.Fatal(err)
	}
	return b.f
}

// files writes files (path -> content) into a fresh folder.
func (b *builder) files(files map[string]string) string {
	b.t.Helper()
	dir := b.t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	return dir
}

// commit logs a version of name from dir and returns its number.
func (b *builder) commit(o repo.CommitOptions) int {
	b.t.Helper()
	res, err := b.r.Commit(b.ctx, o)
	if err != nil {
		b.t.Fatalf("commit %s: %v", o.Name, err)
	}
	b.f.recs[fmt.Sprintf("%s:v%d", o.Name, res.Version.N)] = res.Version.Record
	return res.Version.N
}

// ref names a committed version for lineage.
func (b *builder) ref(spec string) lineage.VersionRef {
	b.t.Helper()
	rec, ok := b.f.recs[spec]
	if !ok {
		b.t.Fatalf("no version %s", spec)
	}
	name, num, _ := strings.Cut(spec, ":v")
	var n int
	fmt.Sscan(num, &n)
	return lineage.VersionRef{Record: rec, Artifact: name, Version: n}
}

// run logs an ended run.
func (b *builder) run(r lineage.Run, inputs, outputs []string) string {
	b.t.Helper()
	id, err := lineage.NewID(r.Started, rand.Reader)
	if err != nil {
		b.t.Fatal(err)
	}
	r.ID = id
	for _, s := range inputs {
		r.Inputs = append(r.Inputs, b.ref(s))
	}
	for _, s := range outputs {
		r.Outputs = append(r.Outputs, b.ref(s))
	}
	if _, err := b.runs.Log(b.ctx, &r); err != nil {
		b.t.Fatalf("log run %s: %v", r.Name, err)
	}
	b.f.runs[r.Name] = id
	return id
}

// setLog rewrites an artifact's log, as a hostile remote could.
func (b *builder) setLog(name string, fn func(l *refs.Log)) {
	b.t.Helper()
	l, err := b.r.Refs().Log(b.ctx, name)
	if err != nil {
		b.t.Fatal(err)
	}
	fn(l)
	if err := b.r.Refs().Replace(b.ctx, name, l); err != nil {
		b.t.Fatal(err)
	}
}

// randomText returns n deterministic bytes of printable text.
func randomText(seed, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789,.\n"
	b := make([]byte, n)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = alphabet[x%uint64(len(alphabet))]
	}
	return string(b)
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(seed, n int) []byte {
	b := make([]byte, n)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 7
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

const gitCommit = "3f5c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a"

// demoRepo builds a small ML project: a dataset cleaned by one run, a
// model trained from it twice, an evaluation, a failed run, and the model
// linked in the model registry under a protected alias.
func demoRepo(t *testing.T) *fixture {
	b := newBuilder(t)
	start := b.now.Add(-6 * time.Hour)
	raw := b.files(map[string]string{
		"train/images.idx": randomText(1, 9000), "train/labels.idx": randomText(2, 600),
		"test/images.idx": randomText(3, 1500), "test/labels.idx": randomText(4, 100),
		"README.md": "# MNIST\nhandwritten digits\n",
	})
	b.commit(repo.CommitOptions{Name: "mnist", Type: "dataset", Paths: []string{raw}, TTL: "30d", Tags: []string{"raw"},
		Description: "Raw MNIST as downloaded.", Metadata: json.RawMessage(`{"source":"yann.lecun.com","rows":70000}`)})
	clean := b.files(map[string]string{
		"train/images.idx": randomText(5, 9000), "train/labels.idx": randomText(2, 600),
		"test/images.idx": randomText(3, 1500), "test/labels.idx": randomText(4, 100),
		"README.md": "# MNIST\nhandwritten digits, cleaned\n", "stats.json": `{"mean":0.1307,"std":0.3081}`,
	})
	b.commit(repo.CommitOptions{Name: "mnist", Type: "dataset", Paths: []string{clean}, Aliases: []string{"best"}, Tags: []string{"clean"},
		Description: "# MNIST, cleaned\n\nThe **MNIST** digits with duplicates removed and pixel values normalised.\n\n" +
			"| split | images |\n|---|---|\n| train | 60,000 |\n| test | 10,000 |\n\nSee [the paper](https://example.com/mnist.pdf).",
		Metadata: json.RawMessage(`{"rows":70000,"normalised":true,"split":{"train":60000,"test":10000},"source":"yann.lecun.com"}`)})
	model := b.files(map[string]string{"model.safetensors": string(randomBytes(6, 300_000)), "config.json": `{"layers":4,"hidden":128}`})
	b.commit(repo.CommitOptions{Name: "cnn", Type: "model", Paths: []string{model}, Description: "A small CNN.", Metadata: json.RawMessage(`{"accuracy":0.981,"epochs":10}`)})
	model2 := b.files(map[string]string{"model.safetensors": string(randomBytes(7, 300_000)), "config.json": `{"layers":4,"hidden":128}`})
	b.commit(repo.CommitOptions{Name: "cnn", Type: "model", Paths: []string{model2}, Description: "Fine-tuned for 5 more epochs.", Metadata: json.RawMessage(`{"accuracy":0.992,"epochs":15}`)})
	b.commit(repo.CommitOptions{Name: "eval", Type: "results", Paths: []string{b.files(map[string]string{"metrics.json": `{"accuracy":0.992,"f1":0.991}`})}})
	git := &lineage.GitInfo{Commit: gitCommit}
	at := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	run := func(name, job string, h int, state lineage.State, cmd ...string) lineage.Run {
		r := lineage.Run{Name: name, JobType: job, Command: cmd, Dir: ".", User: testUser, Host: "gpu1", Git: git,
			Started: at(h), Ended: at(h).Add(17 * time.Minute), State: state, Config: map[string]string{"seed": "42"}}
		if state == lineage.StateFailed {
			r.ExitCode = 1
		}
		return r
	}
	b.run(run("download", "ingest", 0, lineage.StateFinished, "python", "download.py"), nil, []string{"mnist:v0"})
	b.run(run("clean", "preprocess", 1, lineage.StateFinished, "python", "clean.py", "--dedupe"), []string{"mnist:v0"}, []string{"mnist:v1"})
	b.run(run("train-cnn", "train", 2, lineage.StateFinished, "python", "train.py", "--epochs", "10"), []string{"mnist:v1"}, []string{"cnn:v0"})
	b.run(run("finetune-cnn", "train", 3, lineage.StateFinished, "python", "train.py", "--resume", "--epochs", "5"), []string{"mnist:v1", "cnn:v0"}, []string{"cnn:v1"})
	b.run(run("evaluate", "eval", 4, lineage.StateFinished, "python", "eval.py"), []string{"mnist:v1", "cnn:v1"}, []string{"eval:v0"})
	b.run(run("evaluate-gpu", "eval", 5, lineage.StateFailed, "python", "eval.py", "--device", "cuda:1"), []string{"cnn:v0"}, nil)
	if _, err := b.regs.AddAdmin(b.ctx, registry.CoreModel, testUser); err != nil {
		t.Fatal(err)
	}
	if _, err := b.regs.Protect(b.ctx, registry.CoreModel, "production"); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"cnn:v0", "cnn:v1"} {
		ref := b.ref(spec)
		aliases := []string{"staging"}
		if spec == "cnn:v1" {
			aliases = []string{"production"}
		}
		if _, err := b.regs.Link(b.ctx, registry.LinkRequest{Registry: registry.CoreModel, Collection: "mnist-classifier",
			Artifact: ref.Artifact, Version: ref.Version, Type: "model", Record: ref.Record, Aliases: aliases, Admin: true}); err != nil {
			t.Fatal(err)
		}
	}
	return b.done()
}
