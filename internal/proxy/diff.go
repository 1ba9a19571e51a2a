package proxy

import (
	"maps"
	"slices"
)

// script is an incremental update, built in the order the kernel needs
// within one transaction: a map element is deleted before a chain it
// jumps to, a chain exists before an element or rule jumps to it, and a
// chain is deleted only once nothing refers to it.
type script struct {
	delElems, addEps, svcChains, addElems, dropChains []command
}

func (s *script) batch() Batch {
	return Batch{cmds: slices.Concat(s.delElems, s.addEps, s.svcChains, s.addElems, s.dropChains)}
}

// renderDiff is the update that turns the programmed units into the
// wanted ones, touching only what differs: map elements added or removed,
// one service chain flushed and refilled, endpoint chains added or removed.
// The fixed chains are the same for the life of a Dataplane and never in
// a diff.
// Nothing is flushed wholesale, so unchanged Services keep their rules
// and established connections keep their NAT (conntrack holds it). An
// empty result means nothing to do.
func renderDiff(have, want map[string]*unit) Batch {
	var s script
	for _, n := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[n]; !ok {
			s.remove(have[n])
		}
	}
	for _, n := range slices.Sorted(maps.Keys(want)) {
		if old, ok := have[n]; ok {
			if old != want[n] { // the same unit: nothing changed
				s.change(old, want[n])
			}
		} else {
			s.add(want[n])
		}
	}
	return s.batch()
}

func (s *script) add(u *unit) {
	for _, e := range u.eps {
		s.addEps = append(s.addEps, chainCommands(e)...)
	}
	s.svcChains = append(s.svcChains, chainCommands(u.svc)...)
	s.addKeys(u, u.keys)
}

func (s *script) remove(u *unit) {
	s.delKeys(u.keys, true)
	s.dropChains = append(s.dropChains, command{kind: cmdFlushChain, chain: u.svc.name}, command{kind: cmdDeleteChain, chain: u.svc.name})
	for _, e := range u.eps {
		s.dropChains = append(s.dropChains, command{kind: cmdDeleteChain, chain: e.name})
	}
}

func (s *script) change(old, u *unit) {
	oldEps := map[string]bool{}
	for _, e := range old.eps {
		oldEps[e.name] = true
	}
	newEps := map[string]bool{}
	for _, e := range u.eps {
		newEps[e.name] = true
		if !oldEps[e.name] {
			s.addEps = append(s.addEps, chainCommands(e)...)
		}
	}
	if old.svc.hash() != u.svc.hash() {
		s.svcChains = append(s.svcChains, command{kind: cmdFlushChain, chain: u.svc.name})
		s.svcChains = append(s.svcChains, ruleCommands(u.svc)...)
	}
	for _, e := range old.eps {
		if !newEps[e.name] {
			s.dropChains = append(s.dropChains, command{kind: cmdDeleteChain, chain: e.name})
		}
	}
	gone, added, kept := splitKeys(old.keys, u.keys)
	s.delKeys(gone, true)
	if old.ready != u.ready {
		s.delKeys(kept, false)
		for _, k := range kept {
			s.addElems = append(s.addElems, addElement(mapFilter, k, u.filterVerdict()))
		}
	}
	s.addKeys(u, added)
}

func (s *script) addKeys(u *unit, keys []mapKey) {
	for _, k := range keys {
		s.addElems = append(s.addElems, addElement(mapServices, k, u.dispatchVerdict()), addElement(mapFilter, k, u.filterVerdict()))
	}
}

// delKeys deletes keys from the filter map, and from the services map too
// when both is set.
func (s *script) delKeys(keys []mapKey, both bool) {
	for _, k := range keys {
		if both {
			s.delElems = append(s.delElems, command{kind: cmdDeleteElement, set: mapServices, key: k})
		}
		s.delElems = append(s.delElems, command{kind: cmdDeleteElement, set: mapFilter, key: k})
	}
}

func splitKeys(old, cur []mapKey) (gone, added, kept []mapKey) {
	for _, k := range old {
		if slices.Contains(cur, k) {
			kept = append(kept, k)
		} else {
			gone = append(gone, k)
		}
	}
	for _, k := range cur {
		if !slices.Contains(old, k) {
			added = append(added, k)
		}
	}
	return gone, added, kept
}

func addElement(m string, k mapKey, v verdict) command {
	return command{kind: cmdAddElement, set: m, key: k, verdict: v}
}
