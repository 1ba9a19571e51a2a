// Package qga is vigil's client for the QEMU guest agent (qemu-ga), reached
// through the unix socket of the VM's virtio-serial chardev
// (`-chardev socket,path=SOCK,server=on,wait=off` plus a virtserialport
// named org.qemu.guest_agent.0).
//
// It owns that one stream: connecting (and reconnecting), resynchronising,
// and the commands vigil needs (ping, info, osinfo, interfaces, exec). It
// does not decide what a failed ping means; the probe workers do.
//
// Why our own client: the Go guest-agent clients that exist are
// unmaintained, and the QMP libraries they build on have no request ids or
// timeouts (Incus dropped digitalocean/go-qemu after it hung).
//
// How it works: the channel is a byte stream shared with whatever the guest
// writes, and QEMU lets one host client attach at a time, so the client
// keeps at most one command in flight. A guest agent may answer late, stop
// mid-reply (a guest reboot), or never have started (the VM is booting).
// Therefore, on every new connection and after any timeout or garbage, the
// client resynchronises before its next command: it sends a 0xFF byte (the
// agent's parser treats it as a reset) followed by guest-sync-delimited
// with a random id; the agent answers with a 0xFF byte and then the reply
// carrying that id. Everything up to that reply is discarded, so a late
// reply is never taken for the answer to the next command.
//
// The guest is not trusted: every read is bounded (Options.MaxReplyBytes per
// reply line, Options.MaxSyncDiscard bytes of junk per resync) and every
// command has a deadline, so a hostile or broken guest can make commands
// fail but cannot make the daemon allocate without bound or hang.
package qga
