package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/sync/odm"
	"github.com/trialsync/trialsync/sync/odm/odmbench"
)

// odmRowJSON is the contract's `odm rows` schema; field order is the contract's key order.
type odmRowJSON struct {
	Study           string        `json:"study"`
	Subject         string        `json:"subject"`
	Site            string        `json:"site"`
	Event           string        `json:"event"`
	EventRepeat     string        `json:"event_repeat"`
	Form            string        `json:"form"`
	FormRepeat      string        `json:"form_repeat"`
	ItemGroup       string        `json:"item_group"`
	ItemGroupRepeat string        `json:"item_group_repeat"`
	Item            string        `json:"item"`
	Value           string        `json:"value"`
	IsNull          bool          `json:"is_null"`
	Audit           *odmAuditJSON `json:"audit,omitempty"`
}

type odmAuditJSON struct {
	User        string `json:"user"`
	Location    string `json:"location"`
	Time        string `json:"time"`
	Reason      string `json:"reason"`
	SourceID    string `json:"source_id"`
	SubCategory string `json:"subcategory"`
}

func newOdmCommand(g *globals) *cobra.Command {
	rows := &cobra.Command{
		Use:   "rows FILE|-",
		Short: "Stream an ODM 1.3 file to JSON Lines, one object per ItemData",
		Args:  exactArgs(1, "FILE|-"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return odmRows(g, args[0])
		},
	}
	check := &cobra.Command{
		Use:   "check FILE|-",
		Short: "Check that an ODM 1.3 file is well-formed and its clinical data well-structured",
		Args:  exactArgs(1, "FILE|-"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return odmCheck(g, args[0])
		},
	}
	var size, dir, python string
	bench := &cobra.Command{
		Use:   "bench [--size 512MiB]",
		Short: "Measure the ODM reader against lxml.iterparse on a synthetic Rave-style export",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := odmbench.ParseSize(size)
			if err != nil {
				return usagef("--size: %v", err)
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding the trialsync binary: %w", err)
			}
			rep, err := odmbench.Run(cmd.Context(), odmbench.Options{Size: n, Dir: dir, Python: python,
				Self: []string{self, "odm", "bench-child"}, Log: g.stderr})
			if err != nil {
				return fmt.Errorf("odm bench: %w", err)
			}
			odmbench.Print(g.stderr, rep)
			return nil
		},
	}
	bench.Flags().StringVar(&size, "size", "512MiB", "size of the synthetic export (KiB, MiB, GiB, KB, MB, GB)")
	bench.Flags().StringVar(&dir, "dir", "", "directory for the synthetic export (default: the system temp dir)")
	bench.Flags().StringVar(&python, "python", "/usr/bin/python3", "Python with lxml for the comparison (\"\" to skip it)")
	child := &cobra.Command{
		Use:    "bench-child FILE",
		Short:  "The Go side of odm bench, run in its own process",
		Hidden: true,
		Args:   exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return odmbench.Child(args[0], g.stdout)
		},
	}
	return group("odm", "Read, check and benchmark CDISC ODM 1.3 files", rows, check, bench, child)
}

// odmInput opens FILE, or stdin for "-".
func (g *globals) odmInput(name string) (io.Reader, func(), error) {
	if name == "-" {
		return g.stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// odmRows writes one JSON object per ItemData value; a document that is not well-formed (or whose
// clinical data is badly structured) stops it with exit 1 and "line:col: reason".
func odmRows(g *globals, name string) error {
	in, done, err := g.odmInput(name)
	if err != nil {
		return err
	}
	defer done()
	out := bufio.NewWriterSize(g.stdout, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	r := odm.NewReader(in)
	var j odmRowJSON
	var a odmAuditJSON
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.Flush()
			return err
		}
		if row.Kind != odm.KindItem {
			continue
		}
		j = odmRowJSON{Study: row.Study, Subject: row.Subject, Site: row.Site, Event: row.Event,
			EventRepeat: row.EventRepeat, Form: row.Form, FormRepeat: row.FormRepeat, ItemGroup: row.ItemGroup,
			ItemGroupRepeat: row.ItemGroupRepeat, Item: row.Item, Value: row.Value, IsNull: row.IsNull}
		if row.Audit != nil {
			a = odmAuditJSON{User: row.Audit.User, Location: row.Audit.Location, Time: row.Audit.Time,
				Reason: row.Audit.Reason, SourceID: row.Audit.SourceID, SubCategory: row.Audit.SubCategory}
			j.Audit = &a
		}
		if err := enc.Encode(&j); err != nil {
			return fmt.Errorf("writing rows: %w", err)
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing rows: %w", err)
	}
	return nil
}

// odmCheck reads the whole document. A structure problem in one block does not stop it: one problem is
// the error message, several are listed on stderr one a line before it. A well-formedness error stops
// it at once. Any problem is exit 1.
func odmCheck(g *globals, name string) error {
	in, done, err := g.odmInput(name)
	if err != nil {
		return err
	}
	defer done()
	r := odm.NewReader(in)
	var values, others int64
	var problems []*odm.BlockError
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var be *odm.BlockError
		if errors.As(err, &be) {
			c := *be
			c.Fragment = nil
			problems = append(problems, &c)
			continue
		}
		if err != nil {
			return err
		}
		if row.Kind == odm.KindItem {
			values++
		} else {
			others++
		}
	}
	switch len(problems) {
	case 0:
		g.printf("ok: %d values, %d audit events on containers\n", values, others)
		return nil
	case 1:
		return problems[0]
	}
	for _, p := range problems {
		g.printf("%s (%s at bytes %d-%d)\n", p.Error(), p.Block, p.Start, p.End)
	}
	return fmt.Errorf("%d ODM structure problems (listed above)", len(problems))
}
