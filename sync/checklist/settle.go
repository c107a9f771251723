package checklist

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
)

// A pending decision settles write by write, as the outbox reports each one (Sender's Commit, in the
// transaction that marks the message done), and its baseline is stored when the last one settles. The
// baseline therefore never runs ahead of what both systems hold: a field moves only to a value the
// source held when it was listed and the target has acknowledged.

// settleWrite records the end of item k's write carried by message id (WriteDone or WriteDropped) in
// tx, and stores the item's new baseline when it was the decision's last write. A write that is not
// pending (settled already, or of a decision that is gone) changes nothing.
func settleWrite(tx *store.Tx, study string, k Key, id uint64, to, why string, now time.Time) error {
	t := store.Baselines[ItemState](tx)
	key := itemKey(study, k)
	st, _, err := t.Get(key)
	if err != nil || st.Pending == nil {
		return err
	}
	p := st.Pending
	i := slices.IndexFunc(p.Writes, func(w PendingWrite) bool { return w.Message == id })
	if i < 0 || p.Writes[i].State != WriteQueued {
		return nil
	}
	p.Writes[i].State, p.Writes[i].Why = to, why
	if to == WriteDropped {
		if _, err := tx.Append(store.Entry{Action: store.ActionChecklistDropped, Object: writeObject(study, k, p.Writes[i].System),
			CorrelationID: outbox.Object(id), Reason: why}); err != nil {
			return err
		}
	}
	if !p.settled() {
		return t.Put(key, st)
	}
	next := p.outcome(st.Agreed)
	if moved(st.Agreed, next) {
		e := store.Entry{Action: store.ActionChecklistBaseline, Object: itemObject(study, k), Old: baselineText(st.Agreed),
			New: baselineText(next), Reason: settledReason(p)}
		if _, err := tx.Append(e); err != nil {
			return err
		}
	}
	st.Agreed, st.Pending = next, nil
	if st.empty() {
		return t.Delete(key)
	}
	return t.Put(key, st)
}

// outcome is the baseline a settled decision leaves, given the one stored before it: the decision's,
// when every write was done; with some dropped, the decision's but for the dropped writes' fields,
// which keep their old values (and without an old baseline to fall back on, none: the next run aligns
// the item afresh).
func (p *Pending) outcome(old *Baseline) *Baseline {
	var dropped []Field
	for _, w := range p.Writes {
		if w.State == WriteDropped {
			dropped = append(dropped, w.Fields...)
		}
	}
	switch {
	case len(dropped) == 0 && p.DropBaseline:
		return nil
	case len(dropped) == 0 && p.Baseline != nil:
		return p.Baseline
	case len(dropped) == 0, p.Baseline == nil, old == nil:
		return old
	}
	next := *p.Baseline
	for _, f := range dropped {
		f.set(&next.Item, f.value(&old.Item))
	}
	if sameValues(&next.Item, &old.Item) {
		return old
	}
	return &next
}

func moved(old, next *Baseline) bool {
	if old == nil || next == nil {
		return old != next
	}
	return old.Revision != next.Revision || !sameValues(&old.Item, &next.Item)
}

func settledReason(p *Pending) string {
	done, dropped := 0, 0
	for _, w := range p.Writes {
		if w.State == WriteDone {
			done++
		} else {
			dropped++
		}
	}
	switch {
	case dropped == 0:
		return fmt.Sprintf("every write of the %s decision was acknowledged (%d)", p.Outcome, done)
	case done == 0:
		return fmt.Sprintf("no write of the %s decision was made; the next reconciliation decides again", p.Outcome)
	}
	return fmt.Sprintf("%d of %d writes of the %s decision acknowledged; the fields of the other stay as agreed before",
		done, done+dropped, p.Outcome)
}

// lostWrite is a queued write whose message will never be delivered.
type lostWrite struct {
	key     Key
	message uint64
	why     string
}

// lostWrites finds the pending writes whose outbox message a person discarded (or that is gone).
func lostWrites(tx *store.Tx, study string, pending map[Key]*Pending) ([]lostWrite, error) {
	var lost []lostWrite
	msgs := store.Outbox[outbox.Message](tx)
	for _, k := range slices.SortedFunc(maps.Keys(pending), Key.Compare) {
		for _, w := range pending[k].Writes {
			if w.State != WriteQueued {
				continue
			}
			m, ok, err := msgs.Get(w.Message)
			switch {
			case err != nil:
				return nil, err
			case !ok:
				lost = append(lost, lostWrite{k, w.Message, "its outbound message is gone"})
			case m.Discarded:
				lost = append(lost, lostWrite{k, w.Message, "its outbound message was discarded by " + m.DiscardedBy + ": " + m.DiscardReason})
			}
		}
	}
	return lost, nil
}
