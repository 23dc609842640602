package web

import (
	"time"

	"github.com/trove-ml/trove/registry"
)

// registriesView lists registries, the core ones included.
type registriesView struct {
	Registries []registryRow `json:"registries"`
}

// registryRow describes a registry.
type registryRow struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Core        bool   `json:"core"`
	// Types are the accepted artifact types; AnyType accepts all.
	Types     []string  `json:"types"`
	AnyType   bool      `json:"anyType,omitempty"`
	Protected []string  `json:"protected"`
	Admins    []string  `json:"admins"`
	Created   time.Time `json:"created,omitzero"`
	CreatedBy string    `json:"createdBy,omitempty"`
	// Collections counts its collections.
	Collections int `json:"collections"`
}

func registryRowOf(name string, core bool, g *registry.Registry) registryRow {
	return registryRow{Name: name, Description: g.Description, Core: core, Types: nonNil(g.Types), AnyType: g.AnyType,
		Protected: nonNil(g.Protected), Admins: nonNil(g.Admins), Created: g.Created, CreatedBy: g.CreatedBy,
		Collections: len(g.Collections)}
}

func (s *Server) registriesPage(q *request) error {
	es, err := q.registries.List(q.Context())
	if err != nil {
		return err
	}
	v := registriesView{Registries: []registryRow{}}
	for _, e := range es {
		v.Registries = append(v.Registries, registryRowOf(e.Name, e.Core, e.Registry))
	}
	return s.render(q, "registries", page{Title: "Registries", Section: "registries", Data: v})
}

// registryView is a registry and its collections.
type registryView struct {
	registryRow
	CollectionList []collectionRow `json:"collectionList"`
}

// collectionRow describes a collection.
type collectionRow struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Links counts live links; Latest is the most recent live link.
	Links  int      `json:"links"`
	Latest *linkRow `json:"latest,omitempty"`
}

// linkRow is one link of a collection.
type linkRow struct {
	// N is the link's number in the collection (its vN there).
	N versionNumber `json:"n"`
	// Version is the linked artifact version, by record, with its number
	// now and when linked.
	Version versionLink `json:"version"`
	Linked  time.Time   `json:"linked"`
	By      string      `json:"by"`
	State   string      `json:"state"`
	// Aliases are the collection's aliases of the link; protected ones
	// are marked.
	Aliases    []aliasRow `json:"aliases"`
	Unlinked   time.Time  `json:"unlinked,omitzero"`
	UnlinkedBy string     `json:"unlinkedBy,omitempty"`
}

type aliasRow struct {
	Name      string `json:"name"`
	Protected bool   `json:"protected,omitempty"`
}

func (s *Server) registryPage(q *request) error {
	name := q.PathValue("reg")
	g, err := q.registries.Get(q.Context(), name)
	if err != nil {
		return err
	}
	v := registryView{registryRow: registryRowOf(name, registry.IsCore(name), g), CollectionList: []collectionRow{}}
	for _, cn := range g.CollectionNames() {
		c := g.Collections[cn]
		row := collectionRow{Name: cn, Type: c.Type, Links: c.LiveCount()}
		if l, ok := c.Latest(); ok {
			lr, err := linkRowOf(q, g, c, l)
			if err != nil {
				return err
			}
			row.Latest = &lr
		}
		v.CollectionList = append(v.CollectionList, row)
	}
	return s.render(q, "registry", page{Title: "Registry " + name, Section: "registries",
		Crumbs: []crumb{{"Registries", "/registries"}, {name, ""}}, Data: v})
}

func linkRowOf(q *request, g *registry.Registry, c *registry.Collection, l registry.Link) (linkRow, error) {
	vl, err := q.versionLink(l.Artifact, l.Record, l.Version)
	if err != nil {
		return linkRow{}, err
	}
	lr := linkRow{N: versionNumber(l.N), Version: vl, Linked: l.Linked, By: l.By, State: l.State, Unlinked: l.Unlinked, UnlinkedBy: l.UnlinkedBy, Aliases: []aliasRow{}}
	for _, a := range c.AliasesOf(l.N) {
		lr.Aliases = append(lr.Aliases, aliasRow{Name: a, Protected: g.IsProtected(a)})
	}
	return lr, nil
}

// collectionView is a collection's links, newest first.
type collectionView struct {
	Registry   string    `json:"registry"`
	Collection string    `json:"collection"`
	Type       string    `json:"type"`
	Protected  []string  `json:"protected"`
	Links      []linkRow `json:"links"`
	// Latest is the number of the latest live link.
	Latest *versionNumber `json:"latest,omitempty"`
}

func (s *Server) collectionPage(q *request) error {
	reg, coll := q.PathValue("reg"), q.PathValue("coll")
	g, err := q.registries.Get(q.Context(), reg)
	if err != nil {
		return err
	}
	c, err := g.Collection(reg, coll)
	if err != nil {
		return err
	}
	v := collectionView{Registry: reg, Collection: coll, Type: c.Type, Protected: nonNil(g.Protected), Links: []linkRow{}}
	if l, ok := c.Latest(); ok {
		n := versionNumber(l.N)
		v.Latest = &n
	}
	for i := len(c.Links) - 1; i >= 0; i-- {
		lr, err := linkRowOf(q, g, c, c.Links[i])
		if err != nil {
			return err
		}
		v.Links = append(v.Links, lr)
	}
	return s.render(q, "collection", page{Title: "registry/" + reg + "/" + coll, Section: "registries",
		Crumbs: []crumb{{"Registries", "/registries"}, {reg, registryURL(reg)}, {coll, ""}}, Data: v})
}
