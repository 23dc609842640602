package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/gitpair/workspace"
	"github.com/trove-ml/trove/repo"
)

// hookGit finds the trove project and the Git work tree around it, and
// the project's folder relative to the work tree's top.
func hookGit(cmd *cli.Command) (g *gitpair.Git, root, rel string, err error) {
	wd, err := workDir(cmd)
	if err != nil {
		return nil, "", "", err
	}
	if root, err = repo.Find(wd); err != nil {
		return nil, "", "", err
	}
	if g, err = gitpair.FindGit(root); err != nil {
		return nil, "", "", fmt.Errorf("hooks: the trove project %s is not in a Git work tree: %w", root, err)
	}
	rel, err = g.Rel(root)
	return g, root, rel, err
}

func newHooksCommand(e env) *cli.Command {
	hookOpts := func(rel string) gitpair.HookOptions {
		return gitpair.HookOptions{ProjectRel: rel, Getenv: e.getenv}
	}
	// printChanges says what install or uninstall did to each hook. A
	// chained hook is the one trove's runs first (install), or the
	// original one put back in place (uninstall).
	printChanges := func(cmd *cli.Command, chs []gitpair.HookChange, install bool) error {
		if cmd.Bool("json") {
			return printJSON(e.stdout, nonNil(chs))
		}
		for _, c := range chs {
			fmt.Fprintf(e.stdout, "%-13s %s (%s)", c.Hook, c.Action, c.Path)
			switch {
			case c.Chained == "":
			case install:
				fmt.Fprintf(e.stdout, "; runs %s first", c.Chained)
			default:
				fmt.Fprintf(e.stdout, "; original hook restored from %s%s", filepath.Base(c.Chained), gitpair.ChainSuffix)
			}
			fmt.Fprintln(e.stdout)
		}
		return nil
	}
	// hooksAction runs install or uninstall on the Git repository trove
	// works in and prints what changed.
	hooksAction := func(install bool, do func(*gitpair.Git, gitpair.HookOptions) ([]gitpair.HookChange, error)) cli.ActionFunc {
		return func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "none"); err != nil {
				return err
			}
			g, _, rel, err := hookGit(cmd)
			if err != nil {
				return gitpairErr(err)
			}
			chs, err := do(g, hookOpts(rel))
			if err != nil {
				return gitpairErr(err)
			}
			return printChanges(cmd, chs, install)
		}
	}
	return &cli.Command{
		Name:  "hooks",
		Usage: "install or remove the Git hooks that push and check out pinned data with the code",
		Description: "pre-push pushes every version the pushed commits' trove.lock pins that the trove remote\n" +
			"lacks, and stops the push if one is nowhere to be had; post-checkout and post-merge run\n" +
			"'trove checkout', except during a rebase and, for post-checkout, on file checkouts;\n" +
			"post-rewrite runs it when a rebase ends (git rebase, git pull --rebase), not after\n" +
			"'git commit --amend'. Set TROVE_NO_HOOKS=1 to skip them once.\n\n" + exitCodesHelp,
		Commands: []*cli.Command{
			{
				Name:  "install",
				Usage: "install the hooks (core.hooksPath is honoured; existing hooks are chained, never overwritten)",
				Description: "A hook already in place is renamed NAME.pre-trove and run first by trove's, with the\n" +
					"same arguments and input; 'trove hooks uninstall' puts it back. Installing again updates\n" +
					"trove's hooks. Hooks are shared by the repository's linked worktrees.\n\n" + exitCodesHelp,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action: hooksAction(true, (*gitpair.Git).InstallHooks),
			},
			{
				Name:        "uninstall",
				Usage:       "remove trove's hooks and put back the hooks they chained to",
				Description: "Hooks trove did not write are left alone.\n\n" + exitCodesHelp,
				Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action:      hooksAction(false, (*gitpair.Git).UninstallHooks),
			},
			{
				Name:            "run",
				Usage:           "run a hook's work (called by the hook scripts)",
				ArgsUsage:       "HOOK [GIT'S ARGUMENTS...]",
				Hidden:          true,
				SkipFlagParsing: true,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a := cmd.Args().Slice()
					if len(a) == 0 {
						return usagef("hooks run: want HOOK [ARGS...]")
					}
					if v := e.getenv("TROVE_NO_HOOKS"); v != "" && v != "0" {
						return nil
					}
					return gitpairErr(runHook(ctx, cmd, e, a[0], a[1:]))
				},
			},
		},
	}
}

// runHook does the work of one Git hook.
func runHook(ctx context.Context, cmd *cli.Command, e env, hook string, args []string) error {
	switch hook {
	case gitpair.HookPostCheckout, gitpair.HookPostMerge, gitpair.HookPrePush, gitpair.HookPostRewrite:
	default:
		return usagef("hooks run: unknown hook %q (want %v)", hook, gitpair.HookNames())
	}
	// post-checkout's third argument is 0 for a file checkout (git
	// checkout -- FILE): HEAD did not move, so neither do pins.
	if hook == gitpair.HookPostCheckout && len(args) >= 3 && args[2] == "0" {
		return nil
	}
	// post-rewrite's first argument is "amend" or "rebase". An amended
	// commit is checked out already; a rebase went through commits whose
	// checkouts the other hooks skipped, so its end catches up.
	if hook == gitpair.HookPostRewrite && (len(args) == 0 || args[0] != "rebase") {
		return nil
	}
	g, _, _, err := hookGit(cmd)
	if errors.Is(err, repo.ErrNotRepository) {
		return nil // a commit without trove: nothing to do
	}
	if err != nil {
		return err
	}
	// Git runs post-rewrite before it removes the rebase's state, so the
	// rebase looks in progress then, but HEAD and the work tree are final.
	if (hook == gitpair.HookPostCheckout || hook == gitpair.HookPostMerge) && g.RebaseInProgress() {
		return nil
	}
	return withWorkspace(ctx, cmd, e, func(w *workspace.Workspace) error {
		if hook != gitpair.HookPrePush {
			// Never Force: a Git checkout must not replace files the
			// user changed at a pin's path.
			return runCheckout(ctx, e, w, workspace.CheckoutOptions{}, false, true)
		}
		ups, err := gitpair.ParsePrePush(e.stdin)
		if err != nil {
			return err
		}
		gitRemote := ""
		if len(args) > 0 {
			gitRemote = args[0]
		}
		res, err := w.PrePush(ctx, gitRemote, ups)
		if res != nil {
			for _, warn := range res.Warnings {
				fmt.Fprintf(e.stderr, "trove: warning: %s\n", warn)
			}
			if res.Push != nil {
				printPush(e, res.Push)
			}
		}
		if err != nil {
			return fmt.Errorf("pre-push: %w", err)
		}
		return nil
	})
}
