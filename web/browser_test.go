package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser tests drive Debian's chromium (scripts/install-browser.sh
// installs it) through the DevTools protocol. Without it they skip,
// unless CI is set: then they fail, so CI cannot pass by not running
// them. TROVE_CHROMIUM names another binary; TROVE_SCREENSHOTS names a
// folder to save a screenshot of each main page in (docs/screenshots).
const defaultChromium = "/usr/bin/chromium"

// browser starts a headless chromium with a fresh profile and returns a
// context driving one tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := os.Getenv("TROVE_CHROMIUM")
	if exe == "" {
		exe = defaultChromium
	}
	if _, err := os.Stat(exe); err != nil {
		msg := "chromium not found at " + exe + ": run scripts/install-browser.sh (apt-get install -y chromium) to run the browser tests"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves the page as name.png in $TROVE_SCREENSHOTS, if set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("TROVE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWebBrowser clicks through the UI as a person would: from the
// artifact list to a version, its files and a file in a folder, its
// lineage graph and a run in it, and the model registry.
func TestWebBrowser(t *testing.T) {
	ctx := browser(t)
	f := serve(t, demoRepo(t), Options{})
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	must := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	expect := func(sel string, wants ...string) {
		t.Helper()
		got := text(sel)
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s shows %q; want it to contain %q", sel, got, w)
			}
		}
	}

	// The artifact list.
	must("open the UI", chromedp.Navigate(f.hs.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#artifacts")))
	expect("#artifacts", "mnist", "cnn", "eval", "dataset", "model")
	screenshot(t, ctx, "artifacts")

	// Filter by type.
	must("filter by type", chromedp.SetValue(chromedp.CSS(`select[name="type"]`), "model"),
		chromedp.Click(chromedp.CSS(`form.filter button`)), chromedp.WaitVisible(chromedp.CSS("a.clear")))
	if got := text("#artifacts tbody"); !strings.Contains(got, "cnn") || strings.Contains(got, "mnist") {
		t.Errorf("filtered to models, the list shows %q", got)
	}
	must("clear the filter", chromedp.Click(chromedp.CSS(`a.clear`)), chromedp.WaitNotPresent(chromedp.CSS("a.clear")))

	// An artifact, then a version.
	must("open mnist", chromedp.Click(chromedp.Search(`//a[@class="artifact" and text()="mnist"]`)), chromedp.WaitVisible(chromedp.CSS("#versions")))
	expect("#versions", "v1", "v0", "best", "clean", "29d 23h")
	must("open v1", chromedp.Click(chromedp.Search(`//table[@id="versions"]//a[@class="version" and text()="v1"]`)),
		chromedp.WaitVisible(chromedp.CSS("#description")))
	if loc := location(); !strings.HasSuffix(loc, "/artifacts/mnist/v1") {
		t.Errorf("clicked v1, landed on %s", loc)
	}
	expect("h1", "mnist:v1", "dataset")
	expect("#description", "MNIST, cleaned", "duplicates removed")
	expect("#metadata", "normalised", "true", "rows", "70000")
	expect("dl.details", "Logged by", "clean", "never expires")
	screenshot(t, ctx, "version")

	// Its files, a folder, a file.
	must("browse files", chromedp.Click(chromedp.CSS("#browse-files")), chromedp.WaitVisible(chromedp.CSS("#files")))
	expect("#files", "train/", "test/", "README.md", "stats.json")
	screenshot(t, ctx, "files")
	must("open train/", chromedp.Click(chromedp.Search(`//a[@class="dir" and contains(., "train/")]`)),
		chromedp.WaitVisible(chromedp.Search(`//table[@id="files"]//a[contains(., "images.idx")]`)))
	expect("#path", "mnist:v1", "train")
	expect("#files", "images.idx", "labels.idx", "8.8 KiB")
	must("open a file", chromedp.Click(chromedp.Search(`//a[@class="file" and contains(., "labels.idx")]`)), chromedp.WaitVisible(chromedp.CSS("#file")))
	expect("#file", "train/labels.idx", "600 bytes", "Download")

	// The lineage graph.
	must("back to the version", chromedp.Navigate(f.hs.URL+"/artifacts/mnist/v1"), chromedp.WaitVisible(chromedp.CSS("#open-lineage")))
	must("open lineage", chromedp.Click(chromedp.CSS("#open-lineage")), chromedp.WaitVisible(chromedp.CSS("#graph svg")))
	nodes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#graph g.node text.label")).map(e => e.textContent)`))
	if err != nil {
		t.Fatalf("read the graph: %v", err)
	}
	for _, want := range []string{"mnist:v1", "mnist:v0", "clean", "download", "train-cnn", "finetune-cnn", "cnn:v0", "evaluate"} {
		found := false
		for _, n := range nodes {
			found = found || n == want
		}
		if !found {
			t.Errorf("the graph shows %q; want a node %q", nodes, want)
		}
	}
	edges, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#graph path.edge").length`))
	if err != nil {
		t.Fatalf("count edges: %v", err)
	}
	if edges < len(nodes)-1 {
		t.Errorf("%d nodes but %d edges drawn", len(nodes), edges)
	}
	screenshot(t, ctx, "lineage")
	must("click a run in the graph", chromedp.Click(chromedp.CSS(`a.node-link[href="/runs/`+f.runs["clean"]+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#command")))
	expect("#command", "python clean.py --dedupe")
	expect("#inputs", "mnist:v0")
	expect("#outputs", "mnist:v1")
	screenshot(t, ctx, "run")

	// The registry, through the navigation bar.
	must("open registries", chromedp.Click(chromedp.Search(`//header//a[text()="Registries"]`)), chromedp.WaitVisible(chromedp.CSS("#registries")))
	expect("#registries", "model", "dataset", "production")
	must("open model", chromedp.Click(chromedp.Search(`//a[@class="registry" and text()="model"]`)), chromedp.WaitVisible(chromedp.CSS("#collections")))
	must("open the collection", chromedp.Click(chromedp.Search(`//a[@class="collection" and text()="mnist-classifier"]`)), chromedp.WaitVisible(chromedp.CSS("#links")))
	expect("#links", "cnn:v1", "cnn:v0", "production", "staging", "latest")
	protected, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#links .alias.protected`), "title"))
	if err != nil || !strings.Contains(protected.Value, "protected") {
		t.Errorf("the production alias is not marked protected (title %q, %v)", protected.Value, err)
	}
	screenshot(t, ctx, "registry")

	// A linked version's page names its link.
	must("open cnn:v1", chromedp.Click(chromedp.Search(`//table[@id="links"]//a[contains(., "cnn:v1")]`)), chromedp.WaitVisible(chromedp.CSS("#description")))
	expect("dl.details", "registry/model/mnist-classifier:v1", "production")
}
