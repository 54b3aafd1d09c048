// Package archive holds the templ components of the archive pages (event
// archive, session, item permalink, search), their typed view models, the
// server-rendered SVG bar charts with their text alternatives, and the small
// stylesheet those pages add to the base layout (views.Layout).
//
// It must never run queries or call Redis; and it renders no remote field
// unescaped except an item's sanitized HTML (through views.ItemCard) and a
// search snippet, which package archive escaped before adding <mark>.
package archive
