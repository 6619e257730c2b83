package streams

import (
	"testing"
	"time"
)

// TestInboxDoesNotDeduplicateAcrossPeers: INBOX sources several peers and
// JetStream deduplicates Nats-Msg-Id across all of them, so a peer that
// publishes under another's id would make the real message vanish for the
// whole window. The window is the server's least (100 ms); the inbox table
// deduplicates, keyed by sender.
func TestInboxDoesNotDeduplicateAcrossPeers(t *testing.T) {
	t.Parallel()
	cfg, err := InboxConfig("ci", []string{"bf", "ml"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Duplicates <= 0 || cfg.Duplicates > time.Second {
		t.Errorf("INBOX dedupe window = %s, want at most a second", cfg.Duplicates)
	}
}
