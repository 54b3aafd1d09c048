package views

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

//go:embed static
var staticFS embed.FS

// assetsOnce hashes the embedded assets once per process; the result is never
// mutated afterwards.
var assetsOnce = sync.OnceValue(func() *Static {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(fmt.Sprintf("views: static: %v", err))
	}
	s, err := NewStatic(sub, "/static/")
	if err != nil {
		panic(err.Error())
	}
	return s
})

// Assets returns the embedded static assets of this package (views/static).
func Assets() *Static { return assetsOnce() }

// Static is a read-only set of files, each with its bytes, content type and a
// short content hash, served under one URL prefix with cache-busted URLs.
type Static struct {
	prefix string
	files  map[string]asset
}

type asset struct {
	body        []byte
	contentType string
	hash        string
}

// NewStatic loads every regular file of fsys into memory and hashes it. The
// prefix is the URL path the files are served under, e.g. "/static/".
func NewStatic(fsys fs.FS, prefix string) (*Static, error) {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("views: static: prefix %q must start and end with /", prefix)
	}
	s := &Static{prefix: prefix, files: map[string]asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		s.files[name] = asset{body: body, contentType: contentType(name), hash: hex.EncodeToString(sum[:])[:12]}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("views: static: %w", err)
	}
	return s, nil
}

// contentType names the type of a file by its extension; the types that
// matter are fixed here so they do not depend on the machine's mime tables.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".json", ".webmanifest":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// URL returns the cache-busted URL of a file, "/static/<name>?v=<hash>". It
// panics on a name that is not embedded: that is a programming error that
// every page test catches.
func (s *Static) URL(name string) string {
	a, ok := s.files[name]
	if !ok {
		panic(fmt.Sprintf("views: static: no asset %q", name))
	}
	return s.prefix + name + "?v=" + a.hash
}

// Names lists the files, sorted.
func (s *Static) Names() []string {
	names := make([]string, 0, len(s.files))
	for n := range s.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Size returns the uncompressed size in bytes of the files whose names end
// with one of the suffixes (all files when none is given).
func (s *Static) Size(suffixes ...string) int {
	total := 0
	for n, a := range s.files {
		if len(suffixes) == 0 {
			total += len(a.body)
			continue
		}
		for _, suf := range suffixes {
			if strings.HasSuffix(n, suf) {
				total += len(a.body)
				break
			}
		}
	}
	return total
}

// Register serves the files under the prefix on r (GET and HEAD). A request
// whose ?v= matches the content is cacheable forever; any other version (an
// old page, or a node on another build) gets the current bytes revalidated on
// each use, so a stale pairing is never cached as immutable.
func (s *Static) Register(r fiber.Router) {
	r.Get(s.prefix+"*", s.serve)
}

func (s *Static) serve(c *fiber.Ctx) error {
	name := strings.TrimPrefix(c.Path(), s.prefix)
	a, ok := s.files[name]
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "Not found.")
	}
	etag := `"` + a.hash + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if c.Query("v") == a.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(a.body)
}
