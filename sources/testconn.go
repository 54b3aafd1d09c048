package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/outbound"
)

// TestConnection makes one small request of a source with the secret its
// runner would use, through the same outbound client and credential guard,
// and says in one sentence what is wrong (nil when the upstream answered
// and accepted the token). It appends nothing and saves nothing: the
// admin's "test connection" button calls it. Pass a source as it would be
// saved (its ID set when it has a stored token).
func (m *Manager) TestConnection(ctx context.Context, src models.Source) error {
	cfg, err := ParseConfig(src.Config)
	if err != nil {
		return errors.New("the source's settings do not parse")
	}
	r := newRunner(m, src, "test-connection")
	r.cfg = cfg
	r.cred = r.resolveSecret(ctx)
	ctx, cancel := context.WithTimeout(r.bind(ctx), oneShotTimeout)
	defer cancel()
	c := m.opts.HTTPClient
	switch src.Kind {
	case "mastodon":
		u := strings.TrimRight(cfg.Instance, "/") + "/api/v1/timelines/tag/" + url.PathEscape(strings.TrimPrefix(cfg.Tag, "#")) + "?limit=1"
		_, _, err = get(ctx, c, u, nil)
		return explain(err, r.cred, "the instance")
	case "x":
		_, _, err = get(ctx, c, strings.TrimRight(cfg.BaseURL, "/")+"/2/tweets/search/stream/rules", nil)
		return explain(err, r.cred, "X")
	case "flickr":
		_, body, err := get(ctx, c, strings.TrimRight(cfg.BaseURL, "/")+"/?method=flickr.test.echo&format=json&nojsoncallback=1", nil)
		if err != nil {
			return explain(err, r.cred, "Flickr")
		}
		var ans struct {
			Stat    string `json:"stat"`
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &ans) != nil || ans.Stat != "ok" {
			if ans.Message != "" {
				return fmt.Errorf("flickr refused the request: %s", ans.Message)
			}
			return errors.New("flickr answered something that is not its API")
		}
		return nil
	case "feed":
		_, body, err := get(ctx, c, cfg.URL, nil)
		if err != nil {
			return explain(err, r.cred, "the feed")
		}
		if _, err := ParseFeed(body, time.Now()); err != nil {
			return errors.New("the URL answered, but not with an RSS or Atom feed")
		}
		return nil
	case "bluesky":
		conn, resp, err := websocket.Dial(ctx, cfg.Endpoint, &websocket.DialOptions{HTTPClient: c})
		if err != nil {
			if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
				return fmt.Errorf("the Jetstream endpoint answered %d instead of opening a WebSocket", resp.StatusCode)
			}
			return explain(err, r.cred, "Jetstream")
		}
		conn.CloseNow()
		return nil
	case "replay":
		return nil
	}
	return fmt.Errorf("a %s source cannot be tested", src.Kind)
}

// explain turns a request error into one sentence for an organizer, without
// the secret or the URL's query.
func explain(err error, cred credential, who string) error {
	if err == nil {
		return nil
	}
	var he *HTTPError
	var re *outbound.RefusedError
	switch {
	case errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden):
		if cred.secret == "" {
			return fmt.Errorf("%s wants a token (it answered %d) and the source has none", who, he.Status)
		}
		return fmt.Errorf("%s refused the token (it answered %d)", who, he.Status)
	case errors.As(err, &he):
		return fmt.Errorf("%s answered %d", who, he.Status)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s did not answer within %s", who, oneShotTimeout)
	case errors.As(err, &re):
		return errors.New(strings.TrimPrefix(re.Error(), "outbound: "))
	}
	return fmt.Errorf("could not reach %s: %s", who, strings.TrimPrefix(err.Error(), "sources: get: "))
}
