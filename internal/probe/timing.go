package probe

import (
	"time"

	v1 "vigil.dev/vigil/api/v1"
)

// Kind says what a probe decides: readiness gates traffic, liveness stops
// the VMI.
type Kind string

// The two probe kinds; the words are the ones kubelet puts in its events.
const (
	Readiness Kind = "Readiness"
	Liveness  Kind = "Liveness"
)

// label is the kind as a lower-case metric label value.
func (k Kind) label() string {
	if k == Liveness {
		return "liveness"
	}
	return "readiness"
}

// Type is a probe's handler, as metric label values name it.
type Type string

// Handler types.
const (
	TypeHTTP Type = "http"
	TypeTCP  Type = "tcp"
	TypePing Type = "ping"
	TypeExec Type = "exec"
	// TypeNone is a probe with no handler; validation rejects it, so the
	// engine only meets it when handed an unvalidated spec.
	TypeNone Type = "none"
)

// TypeOf names the handler set in p.
func TypeOf(p *v1.Probe) Type {
	switch {
	case p.HTTPGet != nil:
		return TypeHTTP
	case p.TCPSocket != nil:
		return TypeTCP
	case p.GuestAgentPing != nil:
		return TypePing
	case p.Exec != nil:
		return TypeExec
	default:
		return TypeNone
	}
}

// Timing is a probe's schedule and thresholds after defaults.
type Timing struct {
	InitialDelay     time.Duration
	Period           time.Duration
	Timeout          time.Duration
	SuccessThreshold int32
	FailureThreshold int32
}

// TimingOf reads p's timing. Fields left at zero (or below) get the API's
// defaults, so a spec that skipped defaulting still runs sanely; the
// stored spec is defaulted before it reaches the engine anyway.
func TimingOf(p *v1.Probe) Timing {
	return Timing{
		InitialDelay:     seconds(max(p.InitialDelaySeconds, 0)),
		Period:           seconds(orDefault(p.PeriodSeconds, v1.DefaultProbePeriodSeconds)),
		Timeout:          seconds(orDefault(p.TimeoutSeconds, v1.DefaultProbeTimeoutSeconds)),
		SuccessThreshold: orDefault(p.SuccessThreshold, v1.DefaultProbeSuccessThreshold),
		FailureThreshold: orDefault(p.FailureThreshold, v1.DefaultProbeFailureThreshold),
	}
}

// Defaulted returns a copy of p with the API's defaults applied: the
// settings the engine runs, as Status shows them.
func Defaulted(p *v1.Probe) v1.Probe {
	out := *p.DeepCopy()
	t := TimingOf(p)
	out.InitialDelaySeconds = int32(t.InitialDelay / time.Second)
	out.PeriodSeconds = int32(t.Period / time.Second)
	out.TimeoutSeconds = int32(t.Timeout / time.Second)
	out.SuccessThreshold, out.FailureThreshold = t.SuccessThreshold, t.FailureThreshold
	if out.HTTPGet != nil {
		if out.HTTPGet.Path == "" {
			out.HTTPGet.Path = v1.DefaultProbeHTTPPath
		}
		if out.HTTPGet.Scheme == "" {
			out.HTTPGet.Scheme = v1.DefaultProbeHTTPScheme
		}
	}
	return out
}

func orDefault(v, def int32) int32 {
	if v < 1 {
		return def
	}
	return v
}

func seconds(s int32) time.Duration { return time.Duration(s) * time.Second }
