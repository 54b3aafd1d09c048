package sources

import (
	"fmt"
	"net/http"
)

// holdOpen keeps a hand-written stream open with keep-alives until the client leaves.
func holdOpen(w http.ResponseWriter, r *http.Request, keepAlive string) {
	for {
		select {
		case <-r.Context().Done():
			return
		case <-timeAfter(200):
			if keepAlive != "" {
				fmt.Fprint(w, keepAlive)
				w.(http.Flusher).Flush()
			}
		}
	}
}

// abort drops the connection without ending the response properly.
func abort(w http.ResponseWriter) {
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}
