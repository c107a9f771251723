package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

// TestActionsListsEveryAction reads actions.go and checks that Actions holds every Action constant
// declared there, once: an action missing from it could not be picked in the Audit screen's filter.
func TestActionsListsEveryAction(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "actions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, v := range s.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					name, _ := strconv.Unquote(lit.Value)
					declared = append(declared, name)
				}
			}
		}
	}
	listed := Actions()
	if len(declared) < 30 {
		t.Fatalf("found only %d action constants in actions.go", len(declared))
	}
	for _, a := range declared {
		if !slices.Contains(listed, a) {
			t.Errorf("action %q is declared but not in Actions()", a)
		}
	}
	slices.Sort(listed)
	if c := slices.Compact(slices.Clone(listed)); len(c) != len(listed) || len(listed) != len(declared) {
		t.Errorf("Actions() has %d entries (%d distinct) for %d declared actions", len(listed), len(c), len(declared))
	}
}
