package sources

import (
	"fmt"
)

// newAdapter picks the protocol of the runner's source kind.
func newAdapter(r *runner) (adapter, error) {
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
