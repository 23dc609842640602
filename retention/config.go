package retention

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ErrNotAdmin means the project restricts who may set TTLs and retention
// policies ([Config.TTLAdmins]) and the caller is not among them.
var ErrNotAdmin = errors.New("retention: only TTL admins may change retention")

// MaxKeepLast bounds [Policy.KeepLast]; a log holds at most this many
// versions worth keeping by count.
const MaxKeepLast = 1 << 20

// Config is the retention part of a project's .trove/config, committed
// with the code so that every clone applies the same rules:
//
//	"retention": {"ttlAdmins": ["ana"],
//	              "policies": {"mnist": {"keepLast": 5, "keepAliased": true}}}
//
// The project's default TTL stays where it always was, in
// "defaults": {"ttl": …}.
type Config struct {
	// TTLAdmins, when not empty, are the only users who may set TTLs
	// (at commit or later), the default TTL, policies, and this list.
	TTLAdmins []string `json:"ttlAdmins,omitempty"`
	// Policies maps an artifact name to its retention policy.
	Policies map[string]Policy `json:"policies,omitempty"`
}

// Policy is an artifact's retention policy.
type Policy struct {
	// KeepLast keeps the newest KeepLast live versions (at least 1); older
	// ones expire unless something holds them.
	KeepLast int `json:"keepLast"`
	// KeepAliased makes a custom alias hold its version.
	KeepAliased bool `json:"keepAliased,omitempty"`
}

// Check reports whether p is usable. Errors wrap ErrInvalid.
func (p Policy) Check() error {
	if p.KeepLast < 1 || p.KeepLast > MaxKeepLast {
		return fmt.Errorf("%w: --keep-last %d: keep at least 1 version (at most %d)", ErrInvalid, p.KeepLast, MaxKeepLast)
	}
	return nil
}

// String describes p: "keep-last 5, keep-aliased".
func (p Policy) String() string {
	s := fmt.Sprintf("keep-last %d", p.KeepLast)
	if p.KeepAliased {
		s += ", keep-aliased"
	}
	return s
}

// Settings are the retention rules in force: the project default TTL and
// the [Config].
type Settings struct {
	// DefaultTTL is what "inherit" means; never when the project has none.
	DefaultTTL TTL
	Config
}

// NewSettings builds Settings from the config's default TTL spelling
// ("" means never) and its retention part (nil means none). Errors wrap
// ErrInvalid.
func NewSettings(defaultTTL string, c *Config) (Settings, error) {
	s := Settings{DefaultTTL: NeverTTL()}
	if defaultTTL != "" {
		t, err := ParseTTL(defaultTTL)
		if err != nil {
			return s, fmt.Errorf("config defaults.ttl: %w", err)
		}
		if t.IsInherit() {
			return s, fmt.Errorf("%w: config defaults.ttl: the default cannot be %q (use a period or never)", ErrInvalid, Inherit)
		}
		s.DefaultTTL = t
	}
	if c != nil {
		s.Config = *c
		for name, p := range c.Policies {
			if err := p.Check(); err != nil {
				return s, fmt.Errorf("config retention.policies[%q]: %w", name, err)
			}
		}
	}
	return s, nil
}

// MaySet reports whether user may change TTLs and retention: always, when
// the project names no TTL admins; otherwise only a TTL admin. The error
// wraps ErrNotAdmin and names the admins.
func (s Settings) MaySet(user string) error {
	if len(s.TTLAdmins) == 0 || slices.Contains(s.TTLAdmins, user) {
		return nil
	}
	admins := slices.Clone(s.TTLAdmins)
	sort.Strings(admins)
	return fmt.Errorf("%w: %q is not one of them (%s); ask one of them",
		ErrNotAdmin, user, strings.Join(admins, ", "))
}
