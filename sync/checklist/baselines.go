package checklist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/trialsync/trialsync/store"
)

// StoreBaselines stores items as study's agreed baselines where the store knows nothing of them yet:
// the starting point of a demo (the seed's earlier agreement, without which its first run is an
// initial alignment and meets no conflict) or of a move from another tool. Items the store already
// knows are left alone. Values are normalised as the adapters normalise them. One audit entry records
// how many were stored, with a hash of them all. It returns how many it stored.
func StoreBaselines(ctx context.Context, db *store.DB, study string, items []Item) (int, error) {
	norm := make([]Item, len(items))
	for i, it := range items {
		n, err := normalItem(it)
		if err != nil {
			return 0, fmt.Errorf("baseline %d (%s/%s): %w", i+1, it.Site, it.Code, err)
		}
		norm[i] = n
	}
	stored := 0
	err := db.Update(ctx, func(tx *store.Tx) error {
		stored = 0
		t := store.Baselines[ItemState](tx)
		h := sha256.New()
		for _, it := range norm {
			key := itemKey(study, it.Key())
			_, known, err := t.Get(key)
			if err != nil {
				return err
			}
			if known {
				continue
			}
			b := &Baseline{Item: it, Revision: 1}
			if err := t.Put(key, ItemState{Agreed: b}); err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00%s\x00%s\n", it.Site, it.Code, baselineText(b))
			stored++
		}
		if stored == 0 {
			return nil
		}
		_, err := tx.Append(store.Entry{Action: store.ActionChecklistBaseline, Object: "checklist/" + study,
			New: fmt.Sprintf("%d baselines", stored), Reason: "agreed values given as the starting point",
			PayloadHash: hex.EncodeToString(h.Sum(nil))})
		return err
	})
	return stored, err
}

// normalItem normalises an item's values as Decode does, and checks them.
func normalItem(it Item) (Item, error) {
	n := Item{Site: normCode(it.Site), Code: normCode(it.Code), Version: normCode(it.Version), Status: it.Status,
		EvidenceDocID: normCode(it.EvidenceDocID), MilestoneSignedOff: it.MilestoneSignedOff}
	if n.Site == "" || n.Code == "" {
		return Item{}, fmt.Errorf("a baseline needs a site and an item code")
	}
	if !isStatus(n.Status) {
		return Item{}, fmt.Errorf("%q is not a checklist status", it.Status)
	}
	d, err := ParseDate(string(it.PlannedActivationDate))
	if err != nil {
		return Item{}, err
	}
	n.PlannedActivationDate = d
	return n, nil
}
