package sources

import "strconv"

// keys names the Redis keys of this package under a namespace ("" in
// production). Per-source keys carry the source id; the id→seq map of an
// event carries the event's hash tag, like the live log's keys.
type keys struct{ ns string }

// lease is the hash that holds a source's lease: its cursor hash (lease.go).
func (k keys) lease(id int64) string  { return k.cursor(id) }
func (k keys) cursor(id int64) string { return k.ns + "sources:cursor:" + strconv.FormatInt(id, 10) }

// node is a worker's heartbeat key (node.go).
func (k keys) node(id string) string { return k.ns + "sources:node:" + id }
func (k keys) state(id int64) string { return k.ns + "sources:state:" + strconv.FormatInt(id, 10) }
func (k keys) reconnect(id int64) string {
	return k.ns + "sources:reconnect:" + strconv.FormatInt(id, 10)
}

// profile caches one Bluesky author's profile (a hash with a TTL).
func (k keys) profile(did string) string { return k.ns + "sources:bsky:profile:" + did }
func (k keys) seqs(eventID int64) string {
	return k.ns + "sources:{ev:" + strconv.FormatInt(eventID, 10) + "}:seqs"
}

// feedEntries holds, per feed source, each entry's key → "<created unix>|<content hash>"
// of the last full answer (edits and deletions are found against it).
func (k keys) feedEntries(id int64) string {
	return k.ns + "sources:feed:" + strconv.FormatInt(id, 10) + ":entries"
}

// flickrPhotos is the set (a hash) of item IDs a Flickr source appended,
// which its sweep checks for deleted photos.
func (k keys) flickrPhotos(id int64) string {
	return k.ns + "sources:flickr:" + strconv.FormatInt(id, 10) + ":photos"
}
