package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/agent"
)

// clinicalColumns is the contract's column order for `export clinical`.
var clinicalColumns = []string{"study", "site", "subject", "event", "event_repeat", "form", "form_repeat",
	"item_group", "item_group_repeat", "item", "value", "is_null", "audit_id"}

// clinicalRow is the JSON Lines form; field order matches clinicalColumns.
type clinicalRow struct {
	Study           string `json:"study"`
	Site            string `json:"site"`
	Subject         string `json:"subject"`
	Event           string `json:"event"`
	EventRepeat     string `json:"event_repeat"`
	Form            string `json:"form"`
	FormRepeat      string `json:"form_repeat"`
	ItemGroup       string `json:"item_group"`
	ItemGroupRepeat string `json:"item_group_repeat"`
	Item            string `json:"item"`
	Value           string `json:"value"`
	IsNull          bool   `json:"is_null"`
	AuditID         string `json:"audit_id"`
}

func newClinicalRow(k store.ClinicalKey, v store.ClinicalValue) clinicalRow {
	return clinicalRow{k.Study, k.Site, k.Subject, k.Event, k.EventRepeat, k.Form, k.FormRepeat,
		k.ItemGroup, k.ItemGroupRepeat, k.Item, v.Value, v.IsNull, v.AuditID}
}

// record is the CSV form, in clinicalColumns order.
func (r clinicalRow) record() []string {
	return []string{r.Study, r.Site, r.Subject, r.Event, r.EventRepeat, r.Form, r.FormRepeat,
		r.ItemGroup, r.ItemGroupRepeat, r.Item, r.Value, strconv.FormatBool(r.IsNull), r.AuditID}
}

func newExportCommand(g *globals) *cobra.Command {
	var o exportClinicalOptions
	clinical := &cobra.Command{
		Use:   "clinical [--format jsonl|csv]",
		Short: "Write stored clinical rows, sorted by natural key, to stdout",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.format != "jsonl" && o.format != "csv" {
				return usagef("--format %q: want jsonl or csv", o.format)
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runExportClinical(cmd.Context(), a, g.output(), o)
			})
		},
	}
	o.addFlags(clinical.Flags())
	return group("export", "Export stored data", clinical)
}

// exportClinicalOptions are the flags of `export clinical`.
type exportClinicalOptions struct {
	format string
}

func (o *exportClinicalOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", "jsonl", "jsonl or csv")
}

// runExportClinical writes every stored item value to the data stream in the contract's form.
func runExportClinical(ctx context.Context, a *agent.Agent, out output, o exportClinicalOptions) error {
	if o.format == "jsonl" {
		enc := json.NewEncoder(out.data)
		return a.WalkClinical(ctx, func(k store.ClinicalKey, v store.ClinicalValue) error {
			return enc.Encode(newClinicalRow(k, v))
		})
	}
	w := csv.NewWriter(out.data)
	w.Write(clinicalColumns)
	err := a.WalkClinical(ctx, func(k store.ClinicalKey, v store.ClinicalValue) error {
		return w.Write(newClinicalRow(k, v).record())
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	return err
}
