//go:build race

package images

// raceEnabled: the race detector slows in-process gzip about tenfold, which
// turns the tiny guest build from seconds into most of a minute.
const raceEnabled = true
