package odm

// BlockLevel is the unit a structure problem takes out: see CaptureFragments and BlockError.
type BlockLevel uint8

const (
	// BlockSubject makes the enclosing SubjectData the unit of a BlockError (the default).
	BlockSubject BlockLevel = iota
	// BlockItemGroup makes the enclosing ItemGroupData the unit when the problem lies inside one, so that
	// one bad value does not take a whole subject's export with it. Problems outside any ItemGroupData
	// still take the SubjectData.
	BlockItemGroup
)

// Option configures a Reader.
type Option func(*options)

type options struct {
	window   int
	maxToken int
	maxFrag  int
	capture  bool
	level    BlockLevel
}

// CaptureFragments makes every *BlockError carry the raw bytes of its block (BlockError.Fragment), so
// that the caller can quarantine exactly that fragment. The Reader then holds the current block in its
// buffer (up to MaxFragmentSize), and level chooses the block.
func CaptureFragments(level BlockLevel) Option {
	return func(o *options) { o.capture, o.level = true, level }
}

// MaxFragmentSize bounds the bytes held for fragment capture (default 8 MiB). A block larger than this
// is still reported, with its byte range, but without its Fragment.
func MaxFragmentSize(n int) Option { return func(o *options) { o.maxFrag = n } }

// MaxTokenSize bounds one tag, text run, comment or CDATA section (default 16 MiB); a longer one is a
// *SyntaxError. With the buffer, it bounds the Reader's memory whatever the input.
func MaxTokenSize(n int) Option { return func(o *options) { o.maxToken = n } }

// BufferSize sets the size of the sliding window (default 256 KiB).
func BufferSize(n int) Option { return func(o *options) { o.window = n } }
