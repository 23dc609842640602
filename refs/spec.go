package refs

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadSpec means a version name could not be parsed.
var ErrBadSpec = errors.New("refs: bad version name")

// wandbRegistryPrefix is how W&B spells a registry in a path: the project
// component of "<org>/wandb-registry-<registry>/<collection>".
const wandbRegistryPrefix = "wandb-registry-"

// Spec is a parsed version name. Exactly one of Name (an artifact) or
// Collection (a registry collection) is set.
type Spec struct {
	// Entity and Project qualify an artifact name; empty when not given.
	Entity, Project string
	// Name is the artifact name.
	Name string
	// Registry and Collection name a registry collection.
	Registry, Collection string
	// Selector is the alias, "vN" or "latest"; empty means latest.
	Selector string
	// MaybeDigest is true when the whole name could also be a version
	// digest or a prefix of one (hex, at least MinDigestPrefix digits, no
	// selector).
	MaybeDigest bool
}

// MinDigestPrefix is the shortest digest prefix accepted as a version name.
const MinDigestPrefix = 6

// ParseSpec parses the names PRODUCT.md lists: name, name:alias, name:vN,
// project/name:alias, entity/project/name:alias,
// registry/<registry>/<collection>:<selector>,
// <org>/wandb-registry-<registry>/<collection>:<selector>, and digests.
// It checks only the shape; names are validated where they are used. A
// first part "registry" always starts a registry path, so "registry/x"
// is an error wrapping ErrBadSpec, not a project "registry".
func ParseSpec(s string) (Spec, error) {
	var sp Spec
	if s == "" {
		return sp, fmt.Errorf("%w: empty name (want NAME[:ALIAS])", ErrBadSpec)
	}
	path, sel, hasSel := strings.Cut(s, ":")
	if hasSel {
		if sel == "" || strings.Contains(sel, ":") {
			return sp, fmt.Errorf("%w: %q: want NAME:ALIAS with one non-empty alias", ErrBadSpec, s)
		}
		sp.Selector = sel
	}
	parts := strings.Split(path, "/")
	for _, p := range parts {
		if p == "" {
			return sp, fmt.Errorf("%w: %q has an empty path component", ErrBadSpec, s)
		}
	}
	switch {
	case len(parts) > 1 && len(parts) != 3 && parts[0] == "registry":
		// As with three parts, "registry/" starts a registry path, never
		// a project: this one lacks a part or has one too many.
		return sp, fmt.Errorf("%w: %q: a registry path is registry/REG/COLL[:ALIAS] (list registries with 'trove registry ls', a registry's collections with 'trove registry show REG')", ErrBadSpec, s)
	case len(parts) == 2 && strings.HasPrefix(parts[0], wandbRegistryPrefix):
		return sp, fmt.Errorf("%w: %q: W&B's registry path is ORG/%sREG/COLL[:ALIAS]; or write registry/REG/COLL[:ALIAS]", ErrBadSpec, s, wandbRegistryPrefix)
	case len(parts) == 3 && parts[0] == "registry":
		sp.Registry, sp.Collection = parts[1], parts[2]
	case len(parts) == 3 && strings.HasPrefix(parts[1], wandbRegistryPrefix):
		sp.Registry = strings.TrimPrefix(parts[1], wandbRegistryPrefix)
		sp.Collection = parts[2]
		if sp.Registry == "" {
			return sp, fmt.Errorf("%w: %q: no registry name after %q", ErrBadSpec, s, wandbRegistryPrefix)
		}
	case len(parts) == 1:
		sp.Name = parts[0]
		sp.MaybeDigest = !hasSel && isHexPrefix(parts[0])
	case len(parts) == 2:
		sp.Project, sp.Name = parts[0], parts[1]
	case len(parts) == 3:
		sp.Entity, sp.Project, sp.Name = parts[0], parts[1], parts[2]
	default:
		return sp, fmt.Errorf("%w: %q has too many '/' (want [[entity/]project/]name[:alias] or registry/REG/COLL[:alias])", ErrBadSpec, s)
	}
	return sp, nil
}

func isHexPrefix(s string) bool {
	if len(s) < MinDigestPrefix || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// String returns the canonical spelling of sp.
func (sp Spec) String() string {
	var b strings.Builder
	if sp.Collection != "" {
		b.WriteString("registry/" + sp.Registry + "/" + sp.Collection)
	} else {
		if sp.Entity != "" {
			b.WriteString(sp.Entity + "/")
		}
		if sp.Project != "" {
			b.WriteString(sp.Project + "/")
		}
		b.WriteString(sp.Name)
	}
	if sp.Selector != "" {
		b.WriteString(":" + sp.Selector)
	}
	return b.String()
}
