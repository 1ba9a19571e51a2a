package vm

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// Crash-loop backoff: KubeVirt's numbers (10 s per fail squared, at most
// 5 minutes, up to half again as jitter so failing VMs spread out).
const (
	backoffUnit = 10 * time.Second
	backoffMax  = 300 * time.Second
)

// Backoff is the wait before starting a VM again after its n-th
// consecutive VMI that never reached Running: 10·n² s plus jitter() times
// half of that, capped at 300 s, in whole seconds (the status keeps
// seconds). jitter returns a number in [0, 1); nil means none.
func Backoff(n int, jitter func() float64) time.Duration {
	n = max(1, min(n, 100)) // 100² units is far past the cap already
	base := backoffUnit * time.Duration(n*n)
	j := 0.0
	if jitter != nil {
		j = min(max(jitter(), 0), 1)
	}
	d := base + time.Duration(j*float64(base)/2)
	return min(d.Truncate(time.Second), backoffMax)
}

// trackStartFailure updates the crash-loop record from the current VMI.
// The record is dropped when a VMI reaches Running, and whenever the
// strategy would not restart a VMI anyway (only Always and RerunOnFailure
// back off). A VMI that ended without ever running is counted once, by UID.
func trackStartFailure(sf *v1.VirtualMachineStartFailure, strategy v1.VirtualMachineRunStrategy,
	vmi *v1.VirtualMachineInstance, now time.Time, jitter func() float64) *v1.VirtualMachineStartFailure {
	if vmi != nil && everRan(vmi) {
		return nil
	}
	if strategy != v1.RunStrategyAlways && strategy != v1.RunStrategyRerunOnFailure {
		return nil
	}
	if !crashedEarly(vmi, strategy) || (sf != nil && sf.LastFailedVMIUID == vmi.UID) {
		return sf
	}
	n := 1
	if sf != nil {
		n = sf.ConsecutiveFailCount + 1
	}
	retry := metav1.NewTime(stamp(now).Add(Backoff(n, jitter)))
	return &v1.VirtualMachineStartFailure{ConsecutiveFailCount: n, LastFailedVMIUID: vmi.UID, RetryAfterTimestamp: &retry}
}

// crashedEarly: the VMI ended without ever running, and not because it was
// asked to. A Failed VMI always counts. A Succeeded one counts only under
// Always (RerunOnFailure leaves it stopped, so there is nothing to back off)
// and only when no one deleted it (a stop asked for ends Succeeded).
func crashedEarly(vmi *v1.VirtualMachineInstance, strategy v1.VirtualMachineRunStrategy) bool {
	if vmi == nil || everRan(vmi) {
		return false
	}
	switch vmi.Status.Phase {
	case v1.Failed:
		return true
	case v1.Succeeded:
		return strategy == v1.RunStrategyAlways && vmi.DeletionTimestamp == nil
	default:
		return false
	}
}

// everRan: the VMI is or was Running at some point.
func everRan(vmi *v1.VirtualMachineInstance) bool {
	if vmi.Status.Phase == v1.Running {
		return true
	}
	for _, t := range vmi.Status.PhaseTransitionTimestamps {
		if t.Phase == v1.Running {
			return true
		}
	}
	return false
}

// backoffLeft is how long a start must still wait.
func backoffLeft(sf *v1.VirtualMachineStartFailure, now time.Time) time.Duration {
	if sf == nil || sf.RetryAfterTimestamp == nil {
		return 0
	}
	return max(sf.RetryAfterTimestamp.Sub(now), 0)
}

// stamp is now as the status stores it (whole seconds, UTC), so that a
// status read back from the API compares equal to the one written.
func stamp(now time.Time) time.Time { return now.UTC().Truncate(time.Second) }
