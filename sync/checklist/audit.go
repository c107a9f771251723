package checklist

import (
	"strconv"
	"strings"
)

// How reconciliation names things in audit entries, and writes values there: canonical text, field by
// field, so that an entry says exactly what was overwritten and what replaced it.

// itemObject names an item: "checklist/ALPHA/101/IRB_APPROVAL".
func itemObject(study string, k Key) string {
	return "checklist/" + study + "/" + k.Site + "/" + k.Code
}

// writeObject names a write of an item to one system: "checklist/ALPHA/101/IRB_APPROVAL/ctms".
func writeObject(study string, k Key, s System) string { return itemObject(study, k) + "/" + string(s) }

// conflictObject names a conflict: "checklist/conflict/7".
func conflictObject(id string) string { return "checklist/conflict/" + id }

// baselineText is a baseline's merged fields, "version=V1; status=complete; …", with its revision;
// "" for none.
func baselineText(b *Baseline) string {
	if b == nil {
		return ""
	}
	var sb strings.Builder
	for f := range numFields {
		if f > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(f.String() + "=" + f.value(&b.Item))
	}
	sb.WriteString("; revision=")
	sb.WriteString(strconv.FormatUint(b.Revision, 10))
	return sb.String()
}

// changesText is the old values (old true) or the new values of a write's changes: "status=in_review".
func changesText(cs []Change, old bool) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		v := c.New
		if old {
			v = c.Old
		}
		parts[i] = c.Field.String() + "=" + v
	}
	return strings.Join(parts, "; ")
}

// causesText says why each field of a write is written, for people.
func causesText(w *Write, e *Engine) string {
	parts := make([]string, len(w.Changes))
	for i, c := range w.Changes {
		owner := e.owners.Of(c.Field).Label()
		switch c.Cause {
		case OwnerChanged:
			parts[i] = c.Field.String() + ": changed in the " + owner + ", which owns it"
		case OwnerRestored:
			parts[i] = c.Field.String() + ": changed in the " + w.System.Label() + ", but the " + owner + " owns it; its value is put back"
		case InitialAlignment:
			parts[i] = c.Field.String() + ": first reconciliation; the " + owner + " owns it"
		case Adjudicated:
			parts[i] = c.Field.String() + ": chosen by a person to settle a conflict"
		default:
			parts[i] = c.Field.String() + ": " + string(c.Cause)
		}
	}
	return strings.Join(parts, "; ")
}

// conflictText is a conflict's fields with each side's value and the baseline's.
func conflictText(c *Conflict) string {
	parts := make([]string, len(c.Fields))
	for i, fc := range c.Fields {
		parts[i] = fc.Field.String() + ": EDC " + ValueText(fc.EDC) + ", CTMS " + ValueText(fc.CTMS) + ", agreed " + ValueText(fc.Baseline)
	}
	return strings.Join(parts, "; ")
}

// conflictReason says how the conflict arose.
func conflictReason(c *Conflict) string {
	if c.Deleted != "" {
		other := EDC
		if c.Deleted == EDC {
			other = CTMS
		}
		return "deleted in the " + c.Deleted.Label() + " and changed in the " + other.Label() + " since they last agreed"
	}
	return "changed differently in both systems since they last agreed"
}

// takeText is what settling a conflict chose per field: "status=complete (EDC)"; for a conflict that
// ended because both systems came to agree, "".
func takeText(oc *OpenConflict, take map[Field]System) string {
	var parts []string
	for _, fc := range oc.Fields {
		s, ok := take[fc.Field]
		if !ok {
			continue
		}
		v := fc.EDC
		if s == CTMS {
			v = fc.CTMS
		}
		parts = append(parts, fc.Field.String()+"="+v+" ("+s.Label()+")")
	}
	return strings.Join(parts, "; ")
}
