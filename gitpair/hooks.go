package gitpair

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	gitconfig "github.com/go-git/go-git/v5/plumbing/format/config"
)

// ErrHookConflict means a hook cannot be installed or removed without
// losing someone's hook; the message says which file is in the way.
var ErrHookConflict = errors.New("gitpair: hook in the way")

// Hook names trove installs, in the order they are reported.
const (
	HookPrePush      = "pre-push"
	HookPostCheckout = "post-checkout"
	HookPostMerge    = "post-merge"
	// HookPostRewrite runs after 'git commit --amend' (first argument
	// "amend") and at the end of a rebase ("rebase"), including 'git pull
	// --rebase': the other hooks skip the commits a rebase goes through,
	// and this one catches up.
	HookPostRewrite = "post-rewrite"
)

// HookNames returns the hooks trove installs.
func HookNames() []string {
	return []string{HookPrePush, HookPostCheckout, HookPostMerge, HookPostRewrite}
}

// hookReadsInput reports whether Git writes to the hook's standard input,
// which its script then reads once and gives to the chained hook (and,
// for pre-push, to trove) as well.
func hookReadsInput(name string) bool { return name == HookPrePush || name == HookPostRewrite }

// hookMarker is on the second line of every hook trove writes, so
// install and uninstall recognise their own. The number is the hook
// script's version: install replaces any older script.
const hookMarker = "# trove-hook 1"

// ChainSuffix names the file an existing hook is moved to when trove's is
// installed in its place: trove's hook runs it first, with the same
// arguments and input, and uninstall moves it back.
const ChainSuffix = ".pre-trove"

// HookOptions configure InstallHooks and UninstallHooks.
type HookOptions struct {
	// ProjectRel is the project folder (the one holding .trove) relative
	// to the work tree's top, '/'-separated; hooks run trove there. The
	// default is "." (the top).
	ProjectRel string
	// Getenv reads the environment, for finding Git's global config
	// (HOME, XDG_CONFIG_HOME, GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM,
	// GIT_CONFIG_NOSYSTEM). The default is os.Getenv.
	Getenv func(string) string
}

func (o *HookOptions) defaults() {
	if o.ProjectRel == "" {
		o.ProjectRel = "."
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
}

// HookChange says what InstallHooks or UninstallHooks did to one hook.
type HookChange struct {
	// Hook is the hook's name ("pre-push").
	Hook string `json:"hook"`
	// Path is the hook's file.
	Path string `json:"path"`
	// Action is one of "installed", "updated", "unchanged" (install);
	// "removed", "absent", "not trove's" (uninstall: a hook trove did not
	// write is left alone).
	Action string `json:"action"`
	// Chained is the hook trove's hook runs first (install), or that
	// uninstall put back in place; empty if none.
	Chained string `json:"chained,omitempty"`
}

// HooksDir returns the folder Git runs this work tree's hooks from:
// core.hooksPath if set (in the system, global, repository or worktree
// config, the last one set winning; "~/" expanded; a relative path taken
// from the work tree's top, where Git runs hooks), else CommonDir/hooks,
// which linked worktrees share. Config "include" directives are not
// followed.
func (g *Git) HooksDir(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var hp string
	for _, f := range g.configFiles(getenv) {
		v, ok, err := configValue(f, "core", "hooksPath")
		if err != nil {
			return "", err
		}
		if ok {
			hp = v
		}
	}
	switch {
	case hp == "":
		return filepath.Join(g.CommonDir, "hooks"), nil
	case hp == "~" || strings.HasPrefix(hp, "~/"):
		home := getenv("HOME")
		if home == "" {
			return "", fmt.Errorf("gitpair: core.hooksPath %q needs $HOME", hp)
		}
		return filepath.Join(home, hp[1:]), nil
	case filepath.IsAbs(hp):
		return filepath.Clean(hp), nil
	}
	return filepath.Join(g.WorkTree, hp), nil
}

// configFiles lists Git's config files from lowest to highest precedence.
func (g *Git) configFiles(getenv func(string) string) []string {
	var files []string
	if getenv("GIT_CONFIG_NOSYSTEM") == "" || getenv("GIT_CONFIG_NOSYSTEM") == "0" || strings.EqualFold(getenv("GIT_CONFIG_NOSYSTEM"), "false") {
		if s := getenv("GIT_CONFIG_SYSTEM"); s != "" {
			files = append(files, s)
		} else {
			files = append(files, "/etc/gitconfig")
		}
	}
	if s := getenv("GIT_CONFIG_GLOBAL"); s != "" {
		files = append(files, s)
	} else {
		xdg := getenv("XDG_CONFIG_HOME")
		home := getenv("HOME")
		if xdg == "" && home != "" {
			xdg = filepath.Join(home, ".config")
		}
		if xdg != "" {
			files = append(files, filepath.Join(xdg, "git", "config"))
		}
		if home != "" {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
	}
	files = append(files, filepath.Join(g.CommonDir, "config"))
	if g.Dir != g.CommonDir {
		files = append(files, filepath.Join(g.Dir, "config.worktree"))
	}
	return files
}

// configValue returns the last value of section.key in a Git config file.
// A missing file has none.
func configValue(file, section, key string) (string, bool, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("gitpair: read Git config: %w", err)
	}
	cfg := gitconfig.New()
	if err := gitconfig.NewDecoder(bytes.NewReader(b)).Decode(cfg); err != nil {
		return "", false, fmt.Errorf("gitpair: Git config %s: %w", file, err)
	}
	var v string
	var ok bool
	for _, s := range cfg.Sections {
		if !s.IsName(section) {
			continue
		}
		for _, o := range s.Options {
			if o.IsKey(key) {
				v, ok = o.Value, true
			}
		}
	}
	return v, ok, nil
}

// InstallHooks installs pre-push, post-checkout, post-merge and
// post-rewrite hooks that run 'trove hooks run NAME' in the project
// folder. A hook already there that trove did not write is never
// overwritten: it is moved to NAME.pre-trove (ChainSuffix) and trove's
// hook runs it first, with the same arguments and standard input; a
// failing pre-push chained hook stops the push before trove does anything. Installing again updates trove's
// hooks in place and keeps the chain. It fails with ErrHookConflict if a
// foreign hook and a NAME.pre-trove file both exist (nothing is changed
// then), and with ErrNotGit if there is no Git work tree.
func (g *Git) InstallHooks(o HookOptions) ([]HookChange, error) {
	o.defaults()
	dir, err := g.HooksDir(o.Getenv)
	if err != nil {
		return nil, err
	}
	// Check every hook before changing any, so a conflict changes nothing.
	for _, name := range HookNames() {
		p := filepath.Join(dir, name)
		ours, exists, err := isOurHook(p)
		if err != nil {
			return nil, err
		}
		if exists && !ours {
			if _, err := os.Lstat(p + ChainSuffix); err == nil {
				return nil, fmt.Errorf("%w: %s is not trove's and %s exists too; merge them by hand, then run 'trove hooks install' again", ErrHookConflict, p, p+ChainSuffix)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("gitpair: hooks folder: %w", err)
	}
	var out []HookChange
	for _, name := range HookNames() {
		p := filepath.Join(dir, name)
		ch := HookChange{Hook: name, Path: p, Action: "installed"}
		ours, exists, err := isOurHook(p)
		if err != nil {
			return out, err
		}
		if exists && !ours {
			// Order: the foreign hook is moved aside before ours takes its
			// place, so a crash in between leaves no hook lost.
			if err := os.Rename(p, p+ChainSuffix); err != nil {
				return out, fmt.Errorf("gitpair: chain %s: %w", p, err)
			}
		}
		if _, err := os.Lstat(p + ChainSuffix); err == nil {
			ch.Chained = p + ChainSuffix
		}
		script := hookScript(name, o.ProjectRel)
		if ours {
			if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, script) {
				ch.Action = "unchanged"
				out = append(out, ch)
				continue
			}
			ch.Action = "updated"
		}
		if err := writeExecutable(p, script); err != nil {
			return out, fmt.Errorf("gitpair: install %s: %w", p, err)
		}
		out = append(out, ch)
	}
	return out, nil
}

// UninstallHooks removes the hooks InstallHooks wrote and moves any
// chained hook back to its name. A hook trove did not write is left alone
// (reported "not trove's"), and so is its chained file.
func (g *Git) UninstallHooks(o HookOptions) ([]HookChange, error) {
	o.defaults()
	dir, err := g.HooksDir(o.Getenv)
	if err != nil {
		return nil, err
	}
	var out []HookChange
	for _, name := range HookNames() {
		p := filepath.Join(dir, name)
		ch := HookChange{Hook: name, Path: p, Action: "absent"}
		ours, exists, err := isOurHook(p)
		if err != nil {
			return out, err
		}
		switch {
		case exists && !ours:
			ch.Action = "not trove's"
			out = append(out, ch)
			continue
		case ours:
			if err := os.Remove(p); err != nil {
				return out, fmt.Errorf("gitpair: uninstall %s: %w", p, err)
			}
			ch.Action = "removed"
		}
		if _, err := os.Lstat(p + ChainSuffix); err == nil {
			if err := os.Rename(p+ChainSuffix, p); err != nil {
				return out, fmt.Errorf("gitpair: restore %s: %w", p, err)
			}
			ch.Chained = p
		}
		out = append(out, ch)
	}
	return out, nil
}

// isOurHook reports whether a hook file exists and whether trove wrote it
// (its second line starts with the marker).
func isOurHook(p string) (ours, exists bool, err error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("gitpair: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return false, true, nil // a symlink or folder is someone else's
	}
	b, err := readSmall(p)
	if err != nil {
		return false, true, fmt.Errorf("gitpair: %w", err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	return len(lines) >= 2 && strings.HasPrefix(lines[1], hookMarker), true, nil
}

func writeExecutable(p string, b []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(0o755); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

// shellQuote quotes s for sh: inside single quotes, each single quote
// written as close quote, backslash-quote, open quote.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// hookScript returns the script of one hook. Scripts are POSIX sh, hold
// no logic beyond chaining (the work is 'trove hooks run'), and say what
// they are and how to remove them.
func hookScript(name, projectRel string) []byte {
	trove := "trove"
	if projectRel != "." {
		trove += " -C " + shellQuote(projectRel)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n%s: installed by 'trove hooks install'; 'trove hooks uninstall' removes it\n", hookMarker)
	fmt.Fprintf(&b, "# and puts back the hook it chains to (%s%s, run first when present).\n", name, ChainSuffix)
	fmt.Fprintf(&b, "chained=\"$(dirname \"$0\")/%s%s\"\n", name, ChainSuffix)
	if hookReadsInput(name) {
		// Git's input (pre-push: the refs pushed; post-rewrite: the
		// commits rewritten) is read once and given to each reader.
		b.WriteString("input=$(cat)\n")
		b.WriteString("feed() { if [ -n \"$input\" ]; then printf '%s\\n' \"$input\"; fi; }\n")
	}
	if name == HookPrePush {
		// Both hooks read the same ref list on standard input.
		b.WriteString("if [ -x \"$chained\" ]; then feed | \"$chained\" \"$@\" || exit $?; fi\n")
		b.WriteString("if ! command -v trove >/dev/null 2>&1; then\n")
		b.WriteString("\techo >&2 \"trove: 'trove' is not on PATH, so this push cannot make sure the data trove.lock pins is on the trove remote; install trove, or push with --no-verify\"\n")
		b.WriteString("\texit 1\nfi\n")
		fmt.Fprintf(&b, "feed | %s hooks run %s \"$@\"\n", trove, name)
		return []byte(b.String())
	}
	b.WriteString("status=0\n")
	if hookReadsInput(name) {
		b.WriteString("if [ -x \"$chained\" ]; then feed | \"$chained\" \"$@\" || status=$?; fi\n")
	} else {
		b.WriteString("if [ -x \"$chained\" ]; then \"$chained\" \"$@\" || status=$?; fi\n")
	}
	b.WriteString("if ! command -v trove >/dev/null 2>&1; then\n")
	fmt.Fprintf(&b, "\techo >&2 \"trove: 'trove' is not on PATH; the %s hook did not check out pinned data (remove it with 'trove hooks uninstall')\"\n", name)
	b.WriteString("\texit $status\nfi\n")
	fmt.Fprintf(&b, "%s hooks run %s \"$@\" || status=$?\n", trove, name)
	b.WriteString("exit $status\n")
	return []byte(b.String())
}
