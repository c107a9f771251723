package ravepull

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trialsync/trialsync/sync/odm"
	"github.com/trialsync/trialsync/sync/rws"
)

// ErrBody marks an answer whose body could not be read to its end (a cut connection, a truncated
// download) after every attempt.
var ErrBody = errors.New("answer body incomplete")

// ErrMalformed marks an answer that arrived whole but is not well-formed XML (or carries what the reader
// refuses, such as a DOCTYPE with an internal subset). Fetching it again would give the same bytes, so
// it is not; the error names the place (line:col) and the reason.
var ErrMalformed = errors.New("answer is not well-formed ODM")

// readAnswer fetches an answer and streams it through a parser on its own goroutine, handing each batch
// to commit on this one as it comes. A body cut part-way is fetched again (up to PageAttempts): batches
// already committed from it were upserts, so re-reading them changes nothing, and the cursor only moves
// with the last batch. A body that is whole but not well-formed is not fetched again (ErrMalformed).
func (e *Engine) readAnswer(ctx context.Context, fetch func() (*rws.Page, error), newParser func() *parser,
	commit func(b *batch, page *rws.Page) error) error {
	var lastErr error
	for attempt := 1; attempt <= e.opts.PageAttempts; attempt++ {
		page, err := fetch()
		if err != nil {
			return err // the client has already retried what retrying can help
		}
		err = e.stream(ctx, page, newParser(), commit)
		page.Body.Close()
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrBody) || ctx.Err() != nil {
			return err
		}
		lastErr = err
		e.opts.Log.Warn().Err(err).Int("attempt", attempt).Str("url", page.URL).Msg("answer body failed; fetching it again")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
	return lastErr
}

func (e *Engine) stream(ctx context.Context, page *rws.Page, p *parser, commit func(*batch, *rws.Page) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { page.Body.Close() }) // unblocks a parser stuck in Read
	defer stop()
	ch := make(chan *batch) // unbuffered: a batch being written and the next one complete, no third
	body := newReadAhead(page.Body)
	defer body.Close()
	p.source = p.study.OID + " " + p.feed + " " + page.URL
	go p.run(ctx, body, ch)
	var err error
	for b := range ch {
		if err != nil {
			continue // drain so the parser can finish
		}
		if b.err != nil {
			err = answerError(page.URL, b.err)
			cancel()
			continue
		}
		if cerr := commit(b, page); cerr != nil {
			err = cerr
			cancel()
		}
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return err
}

// answerError classes a failure to read an answer: the body was cut (fetch it again), the document is
// not well-formed (do not), or something else went wrong while reading it (the subject listing).
func answerError(url string, err error) error {
	var se *odm.SyntaxError
	switch {
	case rws.Retryable(err):
		return fmt.Errorf("%w: %s: %v", ErrBody, url, err)
	case errors.As(err, &se):
		return fmt.Errorf("%w: %s: %v", ErrMalformed, url, se)
	default:
		return fmt.Errorf("%s: %w", url, err)
	}
}
