// Command vigil runs virtual machines and keeps watch over them.
// `vigil serve` is the daemon; every other subcommand is a client of it.
package main

import (
	"os"

	"vigil.dev/vigil/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
