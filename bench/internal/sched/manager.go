package sched

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/bench/internal/impl"
	"vigil.dev/vigil/internal/probe"
	"vigil.dev/vigil/internal/probe/prober"
)

// Manager runs vigil's probe manager: each target becomes a VMI with a
// readiness probe; lateness and reaction come from the manager's Trace
// hook, readiness lands in the store through Effects.
type Manager struct {
	m *probe.Manager
}

// Start adds a VMI per target. Periods and timeouts must be whole seconds
// (they are probe spec fields).
func (s *Manager) Start(targets []Target, rec *Recorder, store *Store) error {
	eff := &effects{store: store, ids: make(map[types.UID]int, len(targets))}
	for _, t := range targets {
		eff.ids[uid(t.ID)] = t.ID
	}
	s.m = probe.NewManager(probe.Options{
		Effects: eff,
		Logger:  slog.New(slog.DiscardHandler),
		Trace: func(tr probe.Trace) {
			rec.Probe(eff.ids[tr.UID], tr.Scheduled, tr.Started, prober.Outcome{Result: tr.Result})
			if tr.Published && tr.Reaction > 0 {
				rec.Reaction(tr.Reaction)
			}
		},
	})
	for _, t := range targets {
		vmi, err := vmiFor(t)
		if err != nil {
			s.m.Stop()
			return err
		}
		s.m.AddVMI(vmi, probe.Target{IP: t.Addr.Host}, t.First, nil, false)
	}
	return nil
}

// Stop stops the manager.
func (s *Manager) Stop() {
	if s.m != nil {
		s.m.Stop()
	}
}

func uid(id int) types.UID { return types.UID("bench-" + strconv.Itoa(id)) }

func vmiFor(t Target) (*v1.VirtualMachineInstance, error) {
	if t.Period%time.Second != 0 || t.Timeout%time.Second != 0 {
		return nil, fmt.Errorf("target %d: the manager takes whole seconds, not period %v timeout %v", t.ID, t.Period, t.Timeout)
	}
	p := &v1.Probe{
		PeriodSeconds:    int32(t.Period / time.Second),
		TimeoutSeconds:   int32(t.Timeout / time.Second),
		FailureThreshold: int32(t.FailureThreshold),
		SuccessThreshold: int32(t.SuccessThreshold),
	}
	port := intstr.FromInt(t.Addr.Port)
	switch t.Kind {
	case impl.HTTP:
		p.HTTPGet = &corev1.HTTPGetAction{Path: t.Path, Port: port}
	case impl.TCP:
		p.TCPSocket = &corev1.TCPSocketAction{Port: port}
	default:
		return nil, fmt.Errorf("target %d: unknown kind %q", t.ID, t.Kind)
	}
	vmi := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{
		Namespace: "bench", Name: "t" + strconv.Itoa(t.ID), UID: uid(t.ID)}}
	vmi.Spec.ReadinessProbe = p
	return vmi, nil
}

// effects stores readiness; events and liveness are only counted.
type effects struct {
	store *Store
	ids   map[types.UID]int // written before the manager starts, then read only
}

func (e *effects) SetReady(u types.UID, ready bool, _, _ string) { e.store.SetReady(e.ids[u], ready) }
func (e *effects) LivenessFailed(types.UID, string)              {}
func (e *effects) Event(types.UID, string, string, string)       {}
