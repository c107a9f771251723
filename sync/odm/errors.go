package odm

import (
	"errors"
	"fmt"
)

// SyntaxError is a problem at one place in a document: a violation of XML 1.0 well-formedness (fatal:
// the Reader stops) or, wrapped in a *BlockError, a violation of the ODM structure (the Reader goes on).
type SyntaxError struct {
	Line   int    // 1-based line of the problem
	Col    int    // 1-based column, in characters
	Offset int64  // byte offset from the start of the input (of the UTF-8 text, when the input was transcoded)
	Msg    string // the reason, without position
}

// Error returns "line:col: reason".
func (e *SyntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// BlockError reports an ODM structure problem inside one block: a SubjectData, an ItemGroupData when the
// Reader was built with CaptureFragments(BlockItemGroup), or a ClinicalData when the problem lies outside
// any SubjectData. The document itself is well-formed, so the Reader has skipped to the end of the block
// and the next call to Next continues after it.
//
// Rows are handed out as they are read, before the end of their block is seen: a caller that must not
// keep anything from a bad block drops the rows whose Offset lies in [Start, End).
type BlockError struct {
	Err   *SyntaxError // where and what the (first) problem is
	Block string       // "SubjectData", "ItemGroupData" or "ClinicalData"
	Start int64        // byte offset of the block's start tag
	End   int64        // byte offset just past the block's end tag

	// Fragment holds the raw bytes of the block, Start to End, when the Reader was built with
	// CaptureFragments and the block fitted in the capture limit; otherwise it is nil. Like a Row, it is
	// valid only until the next call to Next: copy it to keep it.
	Fragment []byte
}

// Error returns "line:col: reason" of the problem.
func (e *BlockError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying *SyntaxError.
func (e *BlockError) Unwrap() error { return e.Err }

// IsBlockError reports whether err is (or wraps) a *BlockError, after which the Reader can go on.
func IsBlockError(err error) bool {
	var be *BlockError
	return errors.As(err, &be)
}
