package store

// Names the external tests (package store_test) need from inside the package.
const ProgressEvery = progressEvery
