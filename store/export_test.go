package store

// Names the external tests (package store_test) need from inside the package.
const ProgressEvery = progressEvery

// PathEntryName is the keyring entry that names the store at path.
func PathEntryName(path string) string { return pathEntryName(path) }
