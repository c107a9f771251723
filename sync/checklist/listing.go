package checklist

import (
	"context"
	"fmt"
	"sync"
)

// listBoth reads both systems' listings of study at the same time (each page after page, in order) and
// returns them, EDC first. When one fails the other is cancelled, and the first failure is returned: a
// plan needs both listings whole.
func listBoth(ctx context.Context, study string, edc, ctms *Remote) (e, c []Record, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		recs  [2][]Record
	)
	for i, r := range []*Remote{edc, ctms} {
		wg.Go(func() {
			var err error
			recs[i], err = r.List(ctx, study)
			if err != nil {
				once.Do(func() {
					first = fmt.Errorf("listing the %s's checklist items: %w", r.System().Label(), err)
					cancel()
				})
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, nil, first
	}
	return recs[0], recs[1], nil
}
