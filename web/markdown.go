package web

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders version descriptions. It is goldmark with GitHub's
// tables, strikethrough and task lists, and its safe defaults kept: raw
// HTML in the source is dropped (rendered as a comment saying so), and
// links and images to javascript:, vbscript:, file: and data: (other than
// images) URLs lose their target. The page's Content-Security-Policy
// forbids scripts and images from elsewhere on top of that.
type markdown struct {
	md goldmark.Markdown
}

func newMarkdown() *markdown {
	return &markdown{md: goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList))}
}

// render returns src as HTML. Invisible characters other than line breaks
// and tabs are made visible first (see [visible]).
func (m *markdown) render(src string) (template.HTML, error) {
	src = escapeInvisible(src, true)
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("web: render description: %w", err)
	}
	// The output is goldmark's escaping HTML renderer's, without raw HTML.
	return template.HTML(buf.String()), nil //nolint:gosec // see above
}
