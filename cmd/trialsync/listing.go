package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// The listing commands (audit, conflicts, queue, quarantine, subjects list) write either JSON Lines on
// the data stream for programs or an aligned table on the text stream for people; these two keep every
// listing's output of one shape.

// writeJSONL writes one JSON line per item, shaped by line, as the contract's --format jsonl.
func writeJSONL[T, L any](w io.Writer, items []T, line func(T) L) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(line(it)); err != nil {
			return err
		}
	}
	return nil
}

// table starts a table for people on the text stream with its header row (columns tab-separated);
// the caller writes the rows and flushes it.
func (o output) table(header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(o.text, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}
