package exposure

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ImportBatch is how many valid records Import hands to the queue at a time: enough to make a large
// file a few transactions, few enough to keep memory bounded.
const ImportBatch = 1000

// Import reads every record of d and queues the valid ones (in batches of ImportBatch, each one
// Queue.Import call), calling reject for each rejected record in file order. It returns how many records
// were queued and how many rejected. source is passed to the queue (for the audit trail).
//
// A rejected record never stops the rest. A problem with the file itself (a *FileError from the
// decoder) does: the valid records read before it are still queued (re-importing the file once fixed
// only re-sends what changed), and the error is returned. A queue error is returned at once; the
// records of the failing batch were not queued.
func Import(ctx context.Context, d *Decoder, q Queue, source string, reject func(Entry)) (imported, rejected int, err error) {
	batch := make([]Record, 0, ImportBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := q.Import(ctx, batch, source)
		if err != nil {
			return fmt.Errorf("queueing records of %s: %w", source, err)
		}
		imported += n
		batch = batch[:0]
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return imported, rejected, err
		}
		e, err := d.Next()
		if errors.Is(err, io.EOF) {
			return imported, rejected, flush()
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return imported, rejected, errors.Join(err, ferr)
			}
			return imported, rejected, err
		}
		if e.Reason != "" {
			rejected++
			if reject != nil {
				reject(e)
			}
			continue
		}
		batch = append(batch, e.Record)
		if len(batch) == ImportBatch {
			if err := flush(); err != nil {
				return imported, rejected, err
			}
		}
	}
}
