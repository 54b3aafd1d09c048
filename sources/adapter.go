package sources

import (
	"context"
	"fmt"
)

// newAdapter picks the protocol of the runner's source kind; every run
// carries the source's credential (credentials.go).
func newAdapter(r *runner) (adapter, error) {
	a, err := newKindAdapter(r)
	if err != nil {
		return nil, err
	}
	return credentialed{a}, nil
}

// credentialed binds the runner's secret to its requests.
type credentialed struct{ adapter }

func (c credentialed) run(ctx context.Context, r *runner) error { return c.adapter.run(r.bind(ctx), r) }

func newKindAdapter(r *runner) (adapter, error) {
	switch r.src.Kind {
	case "replay":
		return newReplay(r), nil
	case "feed":
		return newFeedAdapter(r)
	case "flickr":
		return newFlickr(r)
	case "mastodon":
		return newMastodon(r)
	case "x":
		return newX(r)
	case "bluesky":
		return newBluesky(r)
	}
	return nil, fmt.Errorf("sources: unknown source kind %q", r.src.Kind)
}
