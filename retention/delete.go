package retention

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trove-ml/trove/refs"
)

// ErrHeld means something holds a version that was asked to be deleted:
// custom aliases (unless the caller agreed to release them), a registry
// link, or a pin. The message names every hold and how to lift it.
var ErrHeld = errors.New("retention: version is held")

// DeleteCheck is what may stop `trove delete`: the version's registry
// links and pins (the caller finds them; they live outside the log), and
// whether its custom aliases may be released with it.
type DeleteCheck struct {
	// Links name the live registry links to the version
	// ("registry/model/classifier:v2 (protected: production)").
	Links []string
	// Pins are the trove.lock paths pinning it.
	Pins []string
	// ReleaseAliases lets the deletion release the version's custom
	// aliases (--delete-aliases).
	ReleaseAliases bool
}

// Check reports why version v of artifact name, as log l has it, may not
// be deleted, or nil. Errors wrap ErrHeld. Call it inside the log's
// update (refs.DeleteRequest.Check), so that the alias check is atomic
// with the deletion.
func (c DeleteCheck) Check(name string, l *refs.Log, v refs.Version) error {
	var why []string
	if aliases := l.AliasesOf(v.N); len(aliases) > 0 && !c.ReleaseAliases {
		why = append(why, fmt.Sprintf("custom aliases %s (pass --delete-aliases to release them, or move them with trove alias set)", strings.Join(aliases, ", ")))
	}
	for _, link := range c.Links {
		why = append(why, fmt.Sprintf("registry link %s (trove unlink it first)", link))
	}
	for _, p := range c.Pins {
		// A pin on another branch comes labelled "PATH (on BRANCH…)".
		if path, branch, ok := strings.Cut(p, " (on "); ok {
			why = append(why, fmt.Sprintf("the pin at %s in trove.lock on %s (trove unpin %s there first)", path, strings.TrimSuffix(branch, ")"), path))
			continue
		}
		why = append(why, fmt.Sprintf("the pin at %s in trove.lock (trove unpin %s first)", p, p))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s:v%d is held by %s; nothing was deleted", ErrHeld, name, v.N, strings.Join(why, "; "))
}
