package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/web"
)

// UI defaults.
const (
	// defaultUIAddr is loopback, so the UI is reachable from this machine
	// only unless asked otherwise.
	defaultUIAddr = "127.0.0.1:7780"
	// defaultUILockWait is how long a page waits for another trove command
	// to release the repository before saying it is busy: longer than a
	// typical small commit, much shorter than the 2 minutes commands wait.
	defaultUILockWait = 10 * time.Second
	// uiShutdownGrace is how long requests in progress get to finish when
	// the UI is stopped.
	uiShutdownGrace = 5 * time.Second
)

type uiOptions struct {
	addr, token   string
	noToken, open bool
	lockWait      time.Duration
}

func newUICommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "ui",
		Usage: "browse artifacts, versions, files, runs, registries and lineage in a web browser",
		Description: "Serves a read-only web UI of the repository until interrupted (Ctrl-C). Every page\n" +
			"is also JSON at the same address with ?format=json or Accept: application/json.\n\n" +
			"The UI opens the repository for each page and closes it right after, so other trove\n" +
			"commands (commit, push, gc) run while it serves; a page asked for while one of them\n" +
			"holds the repository waits up to --lock-wait, then says the repository is busy.\n\n" +
			"It listens on 127.0.0.1 unless --addr says otherwise, and every request needs a token:\n" +
			"--token (or TROVE_UI_TOKEN), or one generated and printed once. Open the printed\n" +
			"address (it carries ?token=…) and the browser keeps it in a cookie; programs send\n" +
			"Authorization: Bearer TOKEN. Loopback is not private on a shared machine: any local\n" +
			"user can connect to it. --no-token serves without one, on loopback only.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: defaultUIAddr, Usage: "listen on `HOST:PORT` (port 0 picks a free one)"},
			&cli.BoolFlag{Name: "open", Usage: "open the UI in a web browser ($BROWSER, else the system's)"},
			&cli.StringFlag{Name: "token", Usage: "require `TOKEN` on every request (default: a new one, printed)", Sources: cli.EnvVars("TROVE_UI_TOKEN")},
			&cli.BoolFlag{Name: "no-token", Usage: "require no token (only with a loopback --addr, on a machine you do not share)"},
			&cli.DurationFlag{Name: "lock-wait", Value: defaultUILockWait, Usage: "how long a page waits for another trove command to release the repository"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "no arguments"); err != nil {
				return err
			}
			o := uiOptions{addr: cmd.String("addr"), token: cmd.String("token"), noToken: cmd.Bool("no-token"), open: cmd.Bool("open"), lockWait: cmd.Duration("lock-wait")}
			if _, _, err := net.SplitHostPort(o.addr); err != nil {
				return usagef("--addr %q: want HOST:PORT, e.g. %s: %v", o.addr, defaultUIAddr, err)
			}
			if o.token != "" && strings.TrimSpace(o.token) != o.token {
				return usagef("--token (or TROVE_UI_TOKEN): it starts or ends with white space, which a browser's address bar and most clients drop; give one without")
			}
			if o.noToken && o.token != "" {
				return usagef("--no-token and --token (or TROVE_UI_TOKEN) together: give one")
			}
			if o.noToken && !web.IsLoopback(o.addr) {
				return usagef("--no-token with --addr %s: anyone who can reach that address would see the repository; serve on 127.0.0.1, or with a token", o.addr)
			}
			if o.lockWait <= 0 {
				return usagef("--lock-wait %s: want a positive duration, e.g. 10s", o.lockWait)
			}
			return runUI(ctx, cmd, e, o)
		},
	}
}

func runUI(ctx context.Context, cmd *cli.Command, e env, o uiOptions) error {
	dir, err := workDir(cmd)
	if err != nil {
		return err
	}
	root, err := repo.Find(dir)
	if err != nil {
		return err
	}
	var generated bool
	if !o.noToken {
		if o.token, generated, err = uiToken(o.token); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("ui: listen on %s: %w (choose another port with --addr 127.0.0.1:PORT)", o.addr, err)
	}
	opts := repoOptions(cmd, e)
	opts.LockTimeout = o.lockWait
	opts.Progress = nil
	srv, err := web.New(web.Options{
		Open:   func(ctx context.Context) (*repo.Repo, error) { return repo.Open(ctx, root, opts) },
		Token:  o.token,
		Layout: uiLayouter(),
		Logf:   func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) },
	})
	if err != nil {
		ln.Close()
		return err
	}
	addr := "http://" + ln.Addr().String() + "/"
	open := addr
	if o.token != "" {
		open += "?" + url.Values{web.TokenParam: {o.token}}.Encode()
	}
	fmt.Fprintf(e.stdout, "trove ui: serving %s at %s (Ctrl-C stops)\n", root, addr)
	if generated {
		fmt.Fprintf(e.stdout, "trove ui: every request needs this token (shown once; --token or TROVE_UI_TOKEN fixes one): %s\n", o.token)
	}
	if o.token != "" {
		fmt.Fprintf(e.stdout, "trove ui: open %s\n", open)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if o.open {
		if err := openBrowser(e, open); err != nil {
			fmt.Fprintf(e.stderr, "trove ui: could not open a browser (%v); open %s yourself\n", err, open)
		}
	}
	select {
	case err = <-served:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), uiShutdownGrace)
		defer cancel()
		err = hs.Shutdown(sctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = hs.Close()
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	cctx, cancel := context.WithTimeout(context.Background(), uiShutdownGrace)
	defer cancel()
	return errors.Join(err, srv.Close(cctx))
}

// uiToken returns the token the UI requires: the one given, else a new
// one (generated is then true). Loopback gets one too, as Jupyter's does:
// on a shared machine every local user can reach 127.0.0.1, though the
// project folder may be closed to them.
func uiToken(given string) (token string, generated bool, err error) {
	if given != "" {
		return given, false, nil
	}
	token, err = web.NewToken()
	return token, err == nil, err
}

// openBrowser starts $BROWSER, or the system's opener, on url, without
// waiting for it.
func openBrowser(e env, url string) error {
	name, args := e.getenv("BROWSER"), []string{url}
	if name == "" {
		switch runtime.GOOS {
		case "darwin":
			name = "open"
		case "windows":
			name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
		default:
			name = "xdg-open"
		}
	}
	c := exec.Command(name, args...)
	if err := c.Start(); err != nil {
		return err
	}
	go c.Wait() // reap it; its exit status does not matter
	return nil
}
