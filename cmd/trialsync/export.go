package main

import (
	"encoding/csv"
	"encoding/json"
	"strconv"

	"github.com/spf13/cobra"

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
	var format string
	clinical := &cobra.Command{
		Use:   "clinical [--format jsonl|csv]",
		Short: "Write stored clinical rows, sorted by natural key, to stdout",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "jsonl" && format != "csv" {
				return usagef("--format %q: want jsonl or csv", format)
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				if format == "jsonl" {
					enc := json.NewEncoder(g.stdout)
					return a.WalkClinical(cmd.Context(), func(k store.ClinicalKey, v store.ClinicalValue) error {
						return enc.Encode(newClinicalRow(k, v))
					})
				}
				w := csv.NewWriter(g.stdout)
				w.Write(clinicalColumns)
				err := a.WalkClinical(cmd.Context(), func(k store.ClinicalKey, v store.ClinicalValue) error {
					return w.Write(newClinicalRow(k, v).record())
				})
				w.Flush()
				if err == nil {
					err = w.Error()
				}
				return err
			})
		},
	}
	clinical.Flags().StringVar(&format, "format", "jsonl", "jsonl or csv")
	return group("export", "Export stored data", clinical)
}
