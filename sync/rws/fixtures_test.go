package rws

// fixtures holds the RWS answer samples (error shapes, post responses). They live in the repository's
// top-level testdata because the RWS simulator's tests check its answers against the same samples.
const fixtures = "../../testdata/rws"
