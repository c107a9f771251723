// Package storetest gives every package's tests a real trialsync store and the ways to damage one.
//
// Open makes a store on a temporary directory and, when the test ends, closes it and checks it the way
// bbolt's own tests check theirs (internal/btesting): the audit chain must verify and bbolt's
// consistency check must find nothing, so a test that leaves a store damaged fails even if its own
// assertions passed.
//
// The Tamper functions (ChangeField, DeleteEntry, TruncateTail, ...) damage a closed store the way an
// attacker or a failing disk would, so that the store's tests and the CLI's tamper suite share one set
// of corruptions.
package storetest
