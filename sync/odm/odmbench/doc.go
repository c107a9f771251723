// Package odmbench measures the ODM reader against the usual alternative, lxml.iterparse with clear(),
// on the same synthetic Rave-style export in the same run, so that the speed and memory claims in the
// README are reproducible with one command (trialsync odm bench, make bench-odm). Each reader runs in
// its own process so that its peak resident memory is its own.
package odmbench
