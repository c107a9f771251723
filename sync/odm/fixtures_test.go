package odm

// fixtureDir holds the ODM documents the reader is tested on (good, bad, block). They live in the
// repository's top-level testdata because cmd/trialsync's tests run `odm rows` and `odm check` on the
// same documents.
const fixtureDir = "../../testdata/odm"
