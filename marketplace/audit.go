package marketplace

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// GenesisHash is the previous hash of the first entry of every chain.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditEntry is one line of the append-only, hash-chained audit log. Entries
// form one chain per Stream (for example "need:01J…" or "accounts"); Seq and
// the hashes are set by the store when it appends. Detail is a JSON object of
// public facts only: never a name, ID number, phone or free text.
type AuditEntry struct {
	Stream     string
	Seq        int64
	At         time.Time
	Actor      string // a user's public id, or "system"
	Action     string
	ObjectType string
	ObjectID   string
	Detail     string
	PrevHash   string
	Hash       string
	// Notices are the notifications of the change the entry records: the
	// store writes them to the notification outbox in the transaction of
	// the entry (AppendAudit), so that they exist if and only if the
	// change does. They are not part of the chain.
	Notices []notify.Event
}

// ChainHash computes the hash of e given the previous hash in its chain. Time
// is taken to the microsecond, which both databases keep.
func ChainHash(prev string, e AuditEntry) string {
	h := sha256.New()
	fields := []string{prev, e.Stream, strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.At.UnixMicro(), 10),
		e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Detail}
	for _, f := range fields {
		// Length-prefixed, so that no two different entries hash alike.
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditProblem is one break found by VerifyChain.
type AuditProblem struct {
	Stream string
	Seq    int64
	Reason string
	// Kind is what broke, for a page to word: gap, link, altered, move or
	// head; Want is the sequence number expected (gap) or the head's (head).
	Kind string
	Want int64
}

func (p AuditProblem) String() string {
	return fmt.Sprintf("%s #%d: %s", p.Stream, p.Seq, p.Reason)
}

// VerifyChain checks one stream's entries, given in Seq order, against the
// head the store keeps (headSeq, headHash): sequence without gaps from 1,
// each hash recomputed, each link to the previous hash, and the head at the
// last entry (so that deleting the tail is seen too). In a need's stream
// every change of status an entry records must be a move of the need
// lifecycle (Moves).
func VerifyChain(stream string, entries []AuditEntry, headSeq int64, headHash string) []AuditProblem {
	var out []AuditProblem
	prev := GenesisHash
	for i, e := range entries {
		want := int64(i + 1)
		if e.Seq != want {
			out = append(out, AuditProblem{stream, e.Seq, fmt.Sprintf("sequence gap: expected #%d", want), "gap", want})
			return out
		}
		if e.PrevHash != prev {
			out = append(out, AuditProblem{stream, e.Seq, "previous hash does not link to the entry before", "link", 0})
		}
		if got := ChainHash(e.PrevHash, e); got != e.Hash {
			out = append(out, AuditProblem{stream, e.Seq, "entry was altered: hash does not match its content", "altered", 0})
		}
		if why := needMoveProblem(e); why != "" {
			out = append(out, AuditProblem{stream, e.Seq, why, "move", 0})
		}
		prev = e.Hash
	}
	n := int64(len(entries))
	if headSeq != n || (n > 0 && !strings.EqualFold(headHash, prev)) {
		out = append(out, AuditProblem{stream, n, fmt.Sprintf("chain head says #%d, log ends at #%d: entries were removed or added outside the log", headSeq, n), "head", headSeq})
	}
	return out
}

// needMoveProblem says what is wrong with the status change a need's audit
// entry records, or "" when it records none or a move of the lifecycle.
func needMoveProblem(e AuditEntry) string {
	if !strings.HasPrefix(e.Stream, "need:") {
		return ""
	}
	var d struct {
		From, To kernel.NeedStatus
	}
	if json.Unmarshal([]byte(e.Detail), &d) != nil || d.From == "" || d.To == "" || d.From == d.To {
		return ""
	}
	for _, to := range lifecycle[d.From] {
		if to == d.To {
			return ""
		}
	}
	return fmt.Sprintf("%s moved the need from %s to %s, which the need lifecycle does not allow", e.Action, d.From, d.To)
}
