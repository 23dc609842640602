package registry

import (
	"fmt"
	"strings"
)

// Renumbered records a local link that [Merge] gave another number.
type Renumbered struct {
	Collection string
	// From is the link's local number, To its number after the merge.
	From, To int
	// Collapsed is true when the remote had linked the same version too:
	// the local link became that link instead of a new one.
	Collapsed bool
}

// Renamed records a local collection that [Merge] gave another name: the
// remote created a collection of the same name for another type at the
// same time, and a collection holds one type. The remote's keeps the name.
type Renamed struct {
	From, To string
	// Type is the type of the local collection, RemoteType that of the
	// remote's.
	Type, RemoteType string
}

// MergeReport says what [Merge] did beyond taking both sides' changes.
type MergeReport struct {
	// Renumbered lists local links that got new numbers, in collection and
	// number order. A push tells the user about each.
	Renumbered []Renumbered
	// Dropped lists aliases ("COLL:ALIAS") removed because the other side
	// unlinked the link they named.
	Dropped []string
	// Renamed lists local collections that now go by another name.
	Renamed []Renamed
	// NotApplied lists local changes left out because the remote changed
	// the same thing since base, in the order Merge met them: settings,
	// collections by name, then the accepted types of a registry created
	// on both sides.
	NotApplied []NotApplied
}

// NotApplied is a local change that [Merge] left out because the remote
// changed the same thing since base: the remote's change was published
// first, so it stands, as an artifact alias moved on both sides keeps the
// remote's value (refs.Merge). Nothing else of the merge depends on it.
type NotApplied struct {
	// Collection is the collection concerned; empty for a registry
	// setting.
	Collection string
	// What names the thing both sides changed: "alias prod", "unlink v3",
	// "description", "admins", "protected aliases", "accepted types".
	What string
	// Local says what was done here, Remote what was done on the remote,
	// both as phrases for people ("moved to v2 here"); Kept is what the
	// merged registry holds ("v0", "none").
	Local, Remote, Kept string
	// Protected is true when a protected alias is concerned: applying the
	// change again needs --admin, as a registry admin.
	Protected bool

	redo redo
}

// redoKind says which command applies a [NotApplied] change again.
type redoKind int

const (
	redoNone redoKind = iota
	redoAliasSet
	redoAliasRm
	redoUnlink
	redoLink
	redoProtect
	redoAdminAdd
	redoAddType
)

// redo is what applying a [NotApplied] change again takes.
type redo struct {
	kind redoKind
	// n is the link (redoAliasSet, redoUnlink), alias the alias
	// (redoAliasSet, redoAliasRm, redoLink).
	n     int
	alias string
	// link is the link whose version to link again (redoLink).
	link Link
	// args are the names for a setting (redoProtect, redoAdminAdd,
	// redoAddType).
	args []string
	// why says why there is no command, for redoNone.
	why string
}

// Redo returns the command that makes the change again on the merged
// registry, named reg; or, when no command can, why not, in parentheses.
// version names a linked version for `trove link` as the repository holds
// it now (NAME:vN); nil names it by its number at link time.
func (n NotApplied) Redo(reg string, version func(Link) string) string {
	p := path(reg, n.Collection)
	admin := ""
	if n.Protected {
		admin = " --admin"
	}
	switch n.redo.kind {
	case redoAliasSet:
		return fmt.Sprintf("trove registry alias set %s:v%d %s%s", p, n.redo.n, n.redo.alias, admin)
	case redoAliasRm:
		return fmt.Sprintf("trove registry alias rm %s %s%s", p, n.redo.alias, admin)
	case redoUnlink:
		return fmt.Sprintf("trove unlink %s:v%d%s", p, n.redo.n, admin)
	case redoLink:
		name := fmt.Sprintf("%s:v%d", n.redo.link.Artifact, n.redo.link.Version)
		if version != nil {
			name = version(n.redo.link)
		}
		return fmt.Sprintf("trove link %s %s --alias %s%s", name, p, n.redo.alias, admin)
	case redoProtect:
		return fmt.Sprintf("trove registry protect %s %s", reg, strings.Join(n.redo.args, " "))
	case redoAdminAdd:
		return fmt.Sprintf("trove registry admin add %s %s", reg, strings.Join(n.redo.args, " "))
	case redoAddType:
		return fmt.Sprintf("trove registry add-type %s %s", reg, strings.Join(n.redo.args, " "))
	}
	return "(" + n.redo.why + ")"
}

// Message says in one line what was not applied in registry reg and how
// to apply it again (see [NotApplied.Redo] for version):
//
//	registry model: collection classifier: alias prod: moved to v2 here,
//	moved to v0 on the remote; yours was not applied, the remote's stands
//	(v0); to apply yours: trove registry alias set registry/model/classifier:v2 prod
func (n NotApplied) Message(reg string, version func(Link) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "registry %s: ", reg)
	if n.Collection != "" {
		fmt.Fprintf(&b, "collection %s: ", n.Collection)
	}
	what := n.What
	if n.Protected && strings.HasPrefix(what, "alias ") {
		what = "protected " + what
	}
	fmt.Fprintf(&b, "%s: %s, %s; yours was not applied, the remote's stands (%s)", what, n.Local, n.Remote, n.Kept)
	redo := n.Redo(reg, version)
	switch {
	case strings.HasPrefix(redo, "("):
		b.WriteString(" " + redo)
	case n.Protected || n.redo.kind == redoProtect || n.redo.kind == redoAdminAdd || n.redo.kind == redoAddType:
		b.WriteString("; to apply yours, as a registry admin: " + redo)
	default:
		b.WriteString("; to apply yours: " + redo)
	}
	return b.String()
}
