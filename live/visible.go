package live

import "github.com/backchannel/backchannel/models"

// Public reports whether the public sees the item: not hidden (by a rule, a
// moderator or a rejection) and not held for approval. It is the Go form of
// VisibleSQL; the two are one rule and a test holds them together.
func (it Item) Public() bool { return !it.Hidden && !it.Held && !it.Rejected }

// Review is the stored review state the item's flags stand for.
func (it Item) Review() string {
	switch {
	case it.Rejected:
		return models.ReviewRejected
	case it.Held:
		return models.ReviewPending
	}
	return models.ReviewApproved
}

// Public reports whether clients may see an entry: every op but one that
// carries a private item (a hide needs no item and is always public: a
// client drops what it does not hold).
// A question entry is public once its question is (a held question's entry
// is delivered again, approved, as a qa_state).
func (e Entry) Public() bool {
	if e.Item != nil {
		return e.Item.Public()
	}
	if e.Question != nil && e.Op == OpQuestion {
		return e.Question.Public()
	}
	return true
}

// VisibleSQL is the visibility rule over the items table, unqualified:
// `WHERE event_id = $1 AND ` + VisibleSQL.
const VisibleSQL = `NOT hidden AND review = 'approved'`

// VisibleSQLOf is VisibleSQL over the items table aliased as alias.
func VisibleSQLOf(alias string) string {
	return `NOT ` + alias + `.hidden AND ` + alias + `.review = 'approved'`
}
