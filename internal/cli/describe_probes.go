package cli

import (
	"fmt"
	"strings"
	"time"

	v1 "vigil.dev/vigil/api/v1"
)

// describeProbeStatus writes the node's view of each probe (status.probes):
// the settings it runs, the published result and since when, the last
// probe's outcome and output, and the current run of equal results.
//
//	Probe Status:
//	  Readiness:       Failure since 2m (httpGet, Probing)
//	    Settings:      delay=0s timeout=1s period=2s #success=1 #failure=3
//	    Last Probe:    Failure 1s ago: HTTP probe failed with statuscode: 500
//	    Run:           Failure x42
func describeProbeStatus(d *describer, probes []v1.ProbeStatus, now time.Time) {
	if len(probes) == 0 {
		return
	}
	d.section(0, "Probe Status")
	for i := range probes {
		p := &probes[i]
		d.line(1, orDefault(p.Kind, "Probe"), probeResultText(p, now))
		d.line(2, "Settings", fmt.Sprintf("delay=%ds timeout=%ds period=%ds #success=%d #failure=%d",
			p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold))
		d.line(2, "Last Probe", lastProbeText(p, now))
		if p.Run != nil {
			d.line(2, "Run", fmt.Sprintf("%s x%d", p.Run.Result, p.Run.Count))
		}
	}
}

// probeResultText is "Failure since 2m (httpGet, Probing)"; a result never
// changed since the start has no "since".
func probeResultText(p *v1.ProbeStatus, now time.Time) string {
	s := orNone(p.Result)
	if t := p.LastTransitionTime; t != nil {
		s += " since " + age(*t, now)
	}
	details := []string{}
	for _, v := range []string{p.Handler, p.State} {
		if v != "" {
			details = append(details, v)
		}
	}
	if len(details) > 0 {
		s += " (" + strings.Join(details, ", ") + ")"
	}
	return s
}

// lastProbeText is "Failure 1s ago: <output>", or <none> before the first.
func lastProbeText(p *v1.ProbeStatus, now time.Time) string {
	if p.LastResult == "" {
		return "<none>"
	}
	s := p.LastResult
	if t := p.LastProbeTime; t != nil {
		s += " " + age(*t, now) + " ago"
	}
	if out := oneLine(p.LastOutput); out != "" {
		s += ": " + out
	}
	return s
}

// oneLine keeps a probe's output on its describe line: line breaks and tabs
// (which would break the tabwriter's columns) become spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
