package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
			return g.withInput(args[0], func(in io.Reader) error { return runOdmRows(in, g.output()) })
		},
	}
	check := &cobra.Command{
		Use:   "check FILE|-",
		Short: "Check that an ODM 1.3 file is well-formed and its clinical data well-structured",
		Args:  exactArgs(1, "FILE|-"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withInput(args[0], func(in io.Reader) error { return runOdmCheck(in, g.output()) })
		},
	}
	var bo odmBenchOptions
	bench := &cobra.Command{
		Use:   "bench [--size 512MiB]",
		Short: "Measure the ODM reader against lxml.iterparse on a synthetic Rave-style export",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if bo.bytes, err = odmbench.ParseSize(bo.size); err != nil {
				return usagef("--size: %v", err)
			}
			return runOdmBench(cmd.Context(), g.output(), bo)
		},
	}
	bo.addFlags(bench.Flags())
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

// withInput runs fn on FILE, or on stdin for "-".
func (g *globals) withInput(name string, fn func(io.Reader) error) error {
	if name == "-" {
		return fn(g.stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
}

// odmBenchOptions are the flags of `odm bench`.
type odmBenchOptions struct {
	size, dir, python string
	bytes             int64 // size, parsed
}

func (o *odmBenchOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.size, "size", "512MiB", "size of the synthetic export (KiB, MiB, GiB, KB, MB, GB)")
	fs.StringVar(&o.dir, "dir", "", "directory for the synthetic export (default: the system temp dir)")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python with lxml for the comparison (\"\" to skip it)")
}

// runOdmBench generates the export, reads it with this binary (in a child process) and with lxml,
// and prints the figures.
func runOdmBench(ctx context.Context, out output, o odmBenchOptions) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the trialsync binary: %w", err)
	}
	rep, err := odmbench.Run(ctx, odmbench.Options{Size: o.bytes, Dir: o.dir, Python: o.python,
		Self: []string{self, "odm", "bench-child"}, Log: out.text})
	if err != nil {
		return fmt.Errorf("odm bench: %w", err)
	}
	odmbench.Print(out.text, rep)
	return nil
}

// runOdmRows writes one JSON object per ItemData value; a document that is not well-formed (or whose
// clinical data is badly structured) stops it with exit 1 and "line:col: reason".
func runOdmRows(in io.Reader, o output) error {
	out := bufio.NewWriterSize(o.data, 64<<10)
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

// runOdmCheck reads the whole document. A structure problem in one block does not stop it: one problem is
// the error message, several are listed on stderr one a line before it. A well-formedness error stops
// it at once. Any problem is exit 1.
func runOdmCheck(in io.Reader, out output) error {
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
		out.printf("ok: %d values, %d audit events on containers\n", values, others)
		return nil
	case 1:
		return problems[0]
	}
	for _, p := range problems {
		out.printf("%s (%s at bytes %d-%d)\n", p.Error(), p.Block, p.Start, p.End)
	}
	return fmt.Errorf("%d ODM structure problems (listed above)", len(problems))
}
