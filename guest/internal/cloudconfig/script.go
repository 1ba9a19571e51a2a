package cloudconfig

import "strings"

// Line renders the command as one shell line: a shell string as is, an
// argv list with each word single-quoted (what cloud-init does for runcmd).
func (c Command) Line() string {
	if c.Argv == nil {
		return c.Shell
	}
	words := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		words[i] = ShellQuote(a)
	}
	return strings.Join(words, " ")
}

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Script renders commands as a /bin/sh script, one command per line, in order.
func Script(cmds []Command) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, c := range cmds {
		b.WriteString(c.Line())
		b.WriteByte('\n')
	}
	return b.String()
}
