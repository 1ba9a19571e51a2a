// Package events records Kubernetes core/v1 Events about objects, the way
// client-go's recorder does for controllers: the caller never blocks (a
// buffered queue and one writer goroutine), and a repeat of the same event
// about the same object within ten minutes bumps count and lastTimestamp of
// the stored Event instead of creating another.
//
// It owns only the writing of Event objects through a small API interface;
// it must not touch the objects the events are about. Own code rather than
// client-go's record package: that one needs a typed clientset and a
// broadcaster, and would make all of client-go a dependency for ~200 lines.
package events
