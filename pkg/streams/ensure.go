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

// sourceMaxAckPending bounds what a source consumer pushes before the
// recipient's flow-control replies acknowledge it.
const sourceMaxAckPending = 1024

// SourceConsumerConfig returns the durable consumer on origin's OUTBOX that
// recipient's INBOX sources through. The origin makes it, so the origin
// fixes everything about it: the filter (the slice addressed to recipient),
// where it delivers, and that it acknowledges by flow control. The
// recipient may only reset it (CONSUMER.RESET, which the server's durable
// sourcing sends), never create a consumer of its own: a create request
// would let it choose the durable name, the inactive threshold and the
// deliver subject, even one inside the origin's own JetStream API.
func SourceConsumerConfig(origin, recipient string) (jetstream.ConsumerConfig, error) {
	if err := checkMember("origin", origin); err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	if err := checkMember("recipient", recipient); err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	if origin == recipient {
		return jetstream.ConsumerConfig{}, corridor.Invalid("a member cannot source itself",
			corridor.FieldError{Field: "recipient", Message: "must differ from the origin"})
	}
	return jetstream.ConsumerConfig{
		Durable:        SourceConsumer(recipient),
		Description:    "what " + recipient + "'s INBOX sources from " + origin + "'s OUTBOX",
		DeliverSubject: SourceDeliverSubject(origin, recipient),
		FilterSubject:  OutboxSliceFor(origin, recipient),
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		// Durable sourcing requires these: acknowledged by the recipient's
		// flow-control replies, a heartbeat of one second, no ack wait.
		AckPolicy:     jetstream.AckFlowControlPolicy,
		FlowControl:   true,
		IdleHeartbeat: time.Second,
		MaxAckPending: sourceMaxAckPending,
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
			// The consumer p made for member (SourceConsumerConfig).
			Consumer: &jetstream.StreamConsumerSource{
				Name:           SourceConsumer(member),
				DeliverSubject: SourceDeliverSubject(p, member),
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

// EnsureOutbox creates member's OUTBOX and, on it, the source consumer of
// each of recipients (SourceConsumerConfig), or brings existing ones to
// their configuration. It never deletes and recreates the stream: peers'
// sources stall when their upstream stream is recreated, and its messages
// would be lost. An existing stream that cannot be updated in place
// (another storage or retention, a mirror, asynchronous persistence) is a
// KindConflict error for an operator to resolve. The consumer of a
// recipient no longer named is left alone.
//
// Creating and updating streams and consumers is the member operator's
// right, not a service's: the services' users may not (deploy/nats/README.md),
// and call CheckStreams instead.
func EnsureOutbox(ctx context.Context, js jetstream.JetStream, member string, recipients []string) error {
	cfg, err := OutboxConfig(member)
	if err != nil {
		return err
	}
	consumers := make([]jetstream.ConsumerConfig, 0, len(recipients))
	for _, r := range recipients {
		c, err := SourceConsumerConfig(member, r)
		if err != nil {
			return err
		}
		consumers = append(consumers, c)
	}
	if err := ensure(ctx, js, cfg); err != nil {
		return fmt.Errorf("ensure outbox: %w", err)
	}
	for _, c := range consumers {
		if _, err := js.CreateOrUpdatePushConsumer(ctx, Outbox, c); err != nil {
			return fmt.Errorf("ensure outbox: source consumer %s: %w", c.Durable, err)
		}
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
	if err := ensure(ctx, js, cfg); err != nil {
		return fmt.Errorf("ensure inbox: %w", err)
	}
	return nil
}

// CheckStreams is what a service does with the streams at start: it checks
// that member's OUTBOX and INBOX exist and are what this release expects.
// It changes nothing, because a service's user may not: a missing stream is
// a KindUnavailable error (the operator has not set the member up yet), one
// that differs a KindConflict error naming the fields, for the operator to
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
	for _, want := range []jetstream.StreamConfig{out, in} {
		s, err := js.Stream(ctx, want.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return corridor.Errorf(corridor.KindUnavailable,
				"check streams: stream %s does not exist yet; the member's operator makes it", want.Name)
		}
		if err != nil {
			return fmt.Errorf("check streams: look up stream %s: %w", want.Name, err)
		}
		have := s.CachedInfo().Config
		if err := compatible(have, want); err != nil {
			return fmt.Errorf("check streams: %w", err)
		}
		if diff := differences(have, merge(have, want)); len(diff) > 0 {
			return corridor.Errorf(corridor.KindConflict,
				"check streams: stream %s differs from what this release expects (%s); the member's operator must update it",
				want.Name, strings.Join(diff, ", "))
		}
	}
	return nil
}

// ensure creates want, or brings an existing stream of that name to it in
// place.
func ensure(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) error {
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
	if len(differences(have, next)) == 0 {
		return nil
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
		if s.Consumer != nil {
			b.WriteString("|" + s.Consumer.Name + "|" + s.Consumer.DeliverSubject)
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
