// Package watchdog holds the end-to-end tests of the i6300esb watchdog on
// real guests: the seed's procedure (the watchdog daemon feeds
// /dev/watchdog; `pkill -9 watchdog` or a kernel panic stops the feeding),
// each action (poweroff, reset, shutdown), and what each run strategy does
// next. The test binary runs in private namespaces (nstest.Main).
package watchdog
