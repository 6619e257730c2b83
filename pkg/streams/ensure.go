package streams

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Retention of both streams.
const (
	// MaxAge is how long OUTBOX keeps a message. A peer cut off for longer
	// loses what expired, silently (the source skips the gap), so it must
	// exceed the longest outage to survive; alert on source lag well before.
	MaxAge = 14 * 24 * time.Hour
	// DedupeWindow is how long OUTBOX remembers a Nats-Msg-Id (INBOX keeps
	// the server's least, see InboxConfig). It must not exceed MaxAge. The relay's inbox table
	// drops duplicates forever; this window only spares it most of them.
	DedupeWindow = 24 * time.Hour
	// MaxBytes bounds each stream on disk. Both streams discard new
	// messages when full, never old ones: a full OUTBOX refuses the relay's
	// publish (the message waits in the outbox table and is sent again), and
	// a full INBOX stalls its sources until the service catches up. Both
	// together must fit in the member server's max_file_store
	// (deploy/nats/members/<m>.conf), which reserves them at creation.
	MaxBytes = 2 << 30
)

// OutboxConfig returns the configuration of member's OUTBOX.
//
// Limits retention, because peers source it (sourcing from work-queue or
// interest streams is not supported for this). Deletes and purges are
// denied and a full stream refuses new messages instead of dropping old
// ones: a message removed before a peer sourced it is a gap the peer never
// sees.
func OutboxConfig(member string) (jetstream.StreamConfig, error) {
	if err := checkMember("member", member); err != nil {
		return jetstream.StreamConfig{}, err
	}
	return jetstream.StreamConfig{
		Name:        Outbox,
		Description: "messages " + member + " sends to its peers; each peer's INBOX sources its slice",
		Subjects:    []string{OutboxSubjects(member)},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxBytes:    MaxBytes,
		MaxAge:      MaxAge,
		Duplicates:  DedupeWindow,
		Replicas:    1,
		DenyDelete:  true,
		DenyPurge:   true,
	}, nil
}

// InboxConfig returns the configuration of member's INBOX, sourcing from each
// peer's OUTBOX the slice addressed to member, renamed into member's INBOX
// subjects. It has no subjects of its own: nothing is published to it
// directly.
func InboxConfig(member string, peers []string) (jetstream.StreamConfig, error) {
	if err := checkMember("member", member); err != nil {
		return jetstream.StreamConfig{}, err
	}
	for i, p := range peers {
		field := fmt.Sprintf("peers[%d]", i)
		if err := checkMember(field, p); err != nil {
			return jetstream.StreamConfig{}, err
		}
		if p == member {
			return jetstream.StreamConfig{}, corridor.Invalid("a member cannot source itself",
				corridor.FieldError{Field: field, Message: "must differ from the member"})
		}
		if slices.Index(peers, p) != i {
			return jetstream.StreamConfig{}, corridor.Invalid("duplicate peer",
				corridor.FieldError{Field: field, Message: "must not repeat a member"})
		}
	}
	peers = slices.Clone(peers)
	slices.Sort(peers)
	sources := make([]*jetstream.StreamSource, 0, len(peers))
	for _, p := range peers {
		sources = append(sources, &jetstream.StreamSource{
			Name: Outbox,
			// FilterSubject and SubjectTransforms exclude each other; the
			// transform's source is the filter.
			SubjectTransforms: []jetstream.SubjectTransformConfig{{
				Source:      OutboxSliceFor(p, member),
				Destination: InboxSubjectsFrom(member, p),
			}},
			External: &jetstream.ExternalStream{
				APIPrefix:     APIPrefix(p),
				DeliverPrefix: DeliverPrefix(p, member),
			},
		})
	}
	return jetstream.StreamConfig{
		Name:        Inbox,
		Description: "messages peers sent to " + member + ", sourced from their OUTBOX streams",
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxBytes:    MaxBytes,
		MaxAge:      MaxAge,
		Duplicates:  100 * time.Millisecond, // the server's least: a stream sourcing several peers must not deduplicate across them (one could make another's message vanish); the inbox table deduplicates, keyed by sender
		Replicas:    1,
		Sources:     sources,
	}, nil
}

// EnsureOutbox creates member's OUTBOX, or brings an existing one to
// OutboxConfig. It never deletes and recreates the stream: peers' sources
// stall when their upstream stream is recreated, and its messages would be
// lost. An existing stream that cannot be updated in place (another storage
// or retention, a mirror, asynchronous persistence) is a KindConflict error
// for an operator to resolve.
//
// Updating a stream is the member operator's right, not a service's: the
// services' users may not call the update API (deploy/nats/README.md), and
// call CheckMember instead.
func EnsureOutbox(ctx context.Context, js jetstream.JetStream, member string) error {
	cfg, err := OutboxConfig(member)
	if err != nil {
		return err
	}
	if err := ensure(ctx, js, cfg, true); err != nil {
		return fmt.Errorf("ensure outbox: %w", err)
	}
	return nil
}

// EnsureInbox creates member's INBOX sourcing from peers, or brings an
// existing one to InboxConfig: adding or removing a peer updates its sources
// in place, and sources that stay keep their position. Like EnsureOutbox it
// never recreates the stream, and is for the member's operator.
func EnsureInbox(ctx context.Context, js jetstream.JetStream, member string, peers []string) error {
	cfg, err := InboxConfig(member, peers)
	if err != nil {
		return err
	}
	if err := ensure(ctx, js, cfg, true); err != nil {
		return fmt.Errorf("ensure inbox: %w", err)
	}
	return nil
}

// CheckStreams is what a service does with the streams at start: it creates
// member's OUTBOX and INBOX when they do not exist yet (a member's first
// start) and otherwise checks that they are what this release expects. It
// never updates a stream, because a service's user may not: a stream that
// differs is a KindConflict error naming the fields, for the operator to
// bring up to date with EnsureOutbox and EnsureInbox.
func CheckStreams(ctx context.Context, js jetstream.JetStream, member string, peers []string) error {
	out, err := OutboxConfig(member)
	if err != nil {
		return err
	}
	in, err := InboxConfig(member, peers)
	if err != nil {
		return err
	}
	for _, cfg := range []jetstream.StreamConfig{out, in} {
		if err := ensure(ctx, js, cfg, false); err != nil {
			return fmt.Errorf("check streams: %w", err)
		}
	}
	return nil
}

// ensure creates want, or checks an existing stream of that name against it
// and, if update is set, brings it to want in place.
func ensure(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig, update bool) error {
	s, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, want)
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		// Someone else created it meanwhile: verify theirs like any other.
		s, err = js.Stream(ctx, want.Name)
	}
	if err != nil {
		return fmt.Errorf("look up stream %s: %w", want.Name, err)
	}
	have := s.CachedInfo().Config
	if err := compatible(have, want); err != nil {
		return err
	}
	next := merge(have, want)
	diff := differences(have, next)
	if len(diff) == 0 {
		return nil
	}
	if !update {
		return corridor.Errorf(corridor.KindConflict,
			"stream %s differs from what this release expects (%s); the member's operator must update it",
			want.Name, strings.Join(diff, ", "))
	}
	if _, err := js.UpdateStream(ctx, next); err != nil {
		return fmt.Errorf("update stream %s: %w", want.Name, err)
	}
	return nil
}

// compatible reports whether have can become want by an update.
func compatible(have, want jetstream.StreamConfig) error {
	var bad []string
	if have.Storage != want.Storage {
		bad = append(bad, "storage")
	}
	if have.Retention != want.Retention {
		bad = append(bad, "retention")
	}
	if have.Mirror != nil {
		bad = append(bad, "mirror")
	}
	if have.PersistMode != jetstream.DefaultPersistMode {
		bad = append(bad, "persist mode")
	}
	if len(bad) > 0 {
		return corridor.Errorf(corridor.KindConflict,
			"stream %s exists with another %s; it is never recreated automatically", have.Name, strings.Join(bad, ", "))
	}
	return nil
}

// merge returns have with the fields this package manages set from want;
// other fields (metadata, limits an operator raised) are left alone.
func merge(have, want jetstream.StreamConfig) jetstream.StreamConfig {
	next := have
	next.Subjects = want.Subjects
	next.Discard = want.Discard
	// A size limit an operator set is theirs; an unlimited stream gets one.
	if next.MaxBytes <= 0 {
		next.MaxBytes = want.MaxBytes
	}
	next.MaxAge = want.MaxAge
	next.Duplicates = want.Duplicates
	next.Sources = want.Sources
	// Deny flags can be turned on by an update, never off.
	next.DenyDelete = have.DenyDelete || want.DenyDelete
	next.DenyPurge = have.DenyPurge || want.DenyPurge
	if next.Description == "" {
		next.Description = want.Description
	}
	return next
}

// differences names the managed fields in which a and b differ.
func differences(a, b jetstream.StreamConfig) []string {
	var diff []string
	add := func(differ bool, field string) {
		if differ {
			diff = append(diff, field)
		}
	}
	add(!slices.Equal(a.Subjects, b.Subjects), "subjects")
	add(a.Discard != b.Discard, "discard policy")
	add(a.MaxBytes != b.MaxBytes, "max bytes")
	add(a.MaxAge != b.MaxAge, "max age")
	add(a.Duplicates != b.Duplicates, "duplicate window")
	add(a.DenyDelete != b.DenyDelete, "deny delete")
	add(a.DenyPurge != b.DenyPurge, "deny purge")
	add(a.Description != b.Description, "description")
	add(!slices.Equal(sourceKeys(a.Sources), sourceKeys(b.Sources)), "sources")
	return diff
}

// sourceKeys describes sources in a comparable, order-free form.
func sourceKeys(src []*jetstream.StreamSource) []string {
	keys := make([]string, 0, len(src))
	for _, s := range src {
		var b strings.Builder
		b.WriteString(s.Name)
		b.WriteString("|" + s.FilterSubject)
		if s.External != nil {
			b.WriteString("|" + s.External.APIPrefix + "|" + s.External.DeliverPrefix)
		}
		for _, t := range s.SubjectTransforms {
			b.WriteString("|" + t.Source + ">" + t.Destination)
		}
		if s.OptStartSeq != 0 || s.OptStartTime != nil {
			b.WriteString("|start")
		}
		keys = append(keys, b.String())
	}
	slices.Sort(keys)
	return keys
}
