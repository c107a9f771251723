package agent

import "testing"

// TestBroadcastReachesEverySubscriber: two readers each get the signal (the single shared channel
// this replaced gave it to one of them); a burst leaves one pending signal; an ended subscription
// gets nothing more.
func TestBroadcastReachesEverySubscriber(t *testing.T) {
	var b broadcast
	one, endOne := b.subscribe()
	two, endTwo := b.subscribe()
	defer endTwo()
	for range 3 {
		b.notify()
	}
	for name, ch := range map[string]<-chan struct{}{"first": one, "second": two} {
		if len(ch) != 1 {
			t.Fatalf("%s subscriber has %d signals pending after three changes, want 1", name, len(ch))
		}
		<-ch
	}
	endOne()
	endOne() // ending twice is harmless
	b.notify()
	if len(one) != 0 {
		t.Error("an ended subscription still receives signals")
	}
	if len(two) != 1 {
		t.Error("ending one subscription stopped another's signals")
	}
}
