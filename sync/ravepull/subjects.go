package ravepull

import (
	"context"
	"sync"

	"github.com/trialsync/trialsync/sync/rws"
)

// subjectIndex is a study's subject listing, refreshed at most once per answer when a subject is new.
type subjectIndex struct {
	src   Source
	study string

	mu        sync.Mutex
	names     map[string]bool
	refreshed bool // refreshed during the current answer
}

func newSubjectIndex(ctx context.Context, src Source, study string) (*subjectIndex, error) {
	x := &subjectIndex{src: src, study: study}
	return x, x.load(ctx)
}

func (x *subjectIndex) load(ctx context.Context) error {
	subs, err := x.src.Subjects(ctx, x.study, rws.SubjectsOptions{Include: "inactiveAndDeleted"})
	if err != nil {
		return err
	}
	names := make(map[string]bool, len(subs)*2)
	for _, s := range subs {
		names[s.Key] = true
		names[s.Name] = true
	}
	x.names = names
	return nil
}

// newAnswer allows one more refresh.
func (x *subjectIndex) newAnswer() {
	x.mu.Lock()
	x.refreshed = false
	x.mu.Unlock()
}

// has reports whether a subject (by name or key) is listed, refreshing the listing once per answer. A
// refresh that fails is an error: the answer is read again later rather than its rows quarantined.
func (x *subjectIndex) has(ctx context.Context, name, key string) (bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.names[name] || x.names[key] {
		return true, nil
	}
	if x.refreshed {
		return false, nil
	}
	x.refreshed = true
	if err := x.load(ctx); err != nil {
		return false, err
	}
	return x.names[name] || x.names[key], nil
}
