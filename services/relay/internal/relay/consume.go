package relay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/envelope"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/streams"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

// ReceiptType is the message type token of receipts on subjects. A receipt
// is recorded on the outbox row of the message it acknowledges, which
// notifies the case system (exchange_receipt).
const ReceiptType = "receipt"

// rejection is a message that must be quarantined, with the reason.
type rejection struct {
	reason Reason
	err    error
	header envelope.Header // what the message claimed, if it could be read
}

func (e *rejection) Error() string { return fmt.Sprintf("%s: %v", e.reason, e.err) }
func (e *rejection) Unwrap() error { return e.err }

func reject(reason Reason, err error) error { return &rejection{reason: reason, err: err} }

// inboxHandler is the relay as its INBOX reader sees it: process decides,
// quarantine records.
type inboxHandler struct{ r *Relay }

// Handle processes one delivery: done once stored and answered, refused for
// a *rejection, waiting while the directory in force has expired (nothing
// can be verified, opened or answered; /readyz says so, and the message is
// not given up on for it), retried on any other error.
func (h inboxHandler) Handle(ctx context.Context, d streams.Delivery) (streams.Outcome, error) {
	res := h.HandleBatch(ctx, []streams.Delivery{d})[0]
	return res.Outcome, res.Err
}

// HandleBatch processes several deliveries together, each with Handle's
// outcome.
func (h inboxHandler) HandleBatch(ctx context.Context, ds []streams.Delivery) []streams.Result {
	results := make([]streams.Result, len(ds))
	for i, err := range h.r.processBatch(ctx, ds) {
		results[i].Outcome, results[i].Err = streams.OutcomeOf[*rejection](err)
	}
	return results
}

// Quarantine stores a refused message, or one given up on as gave_up with
// what its header claims.
func (h inboxHandler) Quarantine(ctx context.Context, d streams.Delivery, err error) bool {
	var rej *rejection
	if !errors.As(err, &rej) {
		// Given up on: Handle refuses only with a *rejection.
		var gaveUp *streams.GaveUpError
		if errors.As(err, &gaveUp) {
			err = gaveUp.Err
		}
		rej = &rejection{reason: ReasonGaveUp, err: err, header: peek(d.Msg.Subject(), d.Msg.Data())}
	}
	return h.r.quarantine(ctx, d.Log, d.Msg, d.Meta, rej)
}

// quarantine stores a rejected message and reports whether it is safely
// stored, so the delivery may be terminated.
func (r *Relay) quarantine(ctx context.Context, log *slog.Logger, msg jetstream.Msg, meta *jetstream.MsgMetadata, rej *rejection) bool {
	h := rej.header
	q := Quarantined{
		StreamSeq:       meta.Sequence.Stream,
		Subject:         msg.Subject(),
		Reason:          rej.reason,
		Error:           rej.err.Error(),
		MessageID:       h.MessageID,
		MessageType:     h.MessageType,
		SenderMember:    string(h.SenderMember),
		SenderAgency:    h.SenderAgency,
		RecipientMember: string(h.RecipientMember),
		RecipientAgency: h.RecipientAgency,
		Raw:             msg.Data(),
	}
	dbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.PublishTimeout)
	defer cancel()
	inserted, err := insertQuarantine(dbCtx, r.cfg.Pool, q)
	if err != nil {
		log.ErrorContext(ctx, "quarantining an inbox message failed; will retry", "reason", string(rej.reason), "error", err)
		return false
	}
	if inserted {
		r.metrics.quarantined.WithLabelValues(string(rej.reason)).Inc()
	}
	log.WarnContext(ctx, "inbox message quarantined", "reason", string(rej.reason),
		"message_id", h.MessageID, "error", rej.err)
	return true
}

// inbound is one message to check and store: read off INBOX, or released
// from the quarantine by a person, which runs it through the same checks.
type inbound struct {
	subject string
	data    []byte
	// seq is the message's INBOX stream sequence: its receipt's
	// Nats-Msg-Id names it.
	seq uint64
	log *slog.Logger
}

// processBatch handles the messages of a batch and returns each one's
// error, as processInbound does.
func (r *Relay) processBatch(ctx context.Context, ds []streams.Delivery) []error {
	ins := make([]inbound, len(ds))
	for i, d := range ds {
		ins[i] = inbound{subject: d.Msg.Subject(), data: d.Msg.Data(), seq: d.Meta.Sequence.Stream, log: d.Log}
	}
	return r.processInbound(ctx, ins)
}

// processInbound handles messages and returns each one's error: nil once
// the message is stored and answered, a *rejection for a message to
// quarantine, and any other error for a transient failure. Case messages
// are opened in parallel, stored with one commit and answered together;
// receipts are recorded each on its own, concurrently.
func (r *Relay) processInbound(ctx context.Context, ds []inbound) []error {
	errs := make([]error, len(ds))
	routes := make([]streams.Route, len(ds))
	var envelopes, receipts []int
	for i, d := range ds {
		route, err := streams.ParseInSubject(d.subject)
		switch {
		case err != nil || route.To != r.domain:
			errs[i] = reject(ReasonRouteMismatch, fmt.Errorf("subject is not one of %s's inbox subjects", r.domain))
		case route.Type == ReceiptType:
			receipts = append(receipts, i)
		case route.Type == TrackingType:
			errs[i] = reject(ReasonRouteMismatch, errors.New("tracking events are for the coordinator"))
		default:
			envelopes = append(envelopes, i)
		}
		routes[i] = route
	}
	if len(envelopes)+len(receipts) == 0 {
		return errs
	}
	dir, err := r.cfg.Directory.Current(ctx)
	if err != nil {
		for _, i := range append(envelopes, receipts...) {
			errs[i] = err
		}
		return errs
	}
	r.processReceipts(ctx, dir, ds, routes, receipts, errs)
	r.processEnvelopes(ctx, dir, ds, routes, envelopes, errs)
	return errs
}

// classify turns an Open error into a rejection, or returns it unchanged
// when it is the opener's own (transient) failure.
func classify(err error, dir *directory.Directory, h envelope.Header) error {
	var reason Reason
	switch {
	case errors.Is(err, envelope.ErrTooLarge):
		reason = ReasonTooLarge
	case errors.Is(err, envelope.ErrMalformed):
		reason = ReasonMalformed
	case errors.Is(err, envelope.ErrNotCanonical):
		reason = ReasonNotCanonical
	case errors.Is(err, envelope.ErrWrongRecipient):
		reason = ReasonWrongRecipient
	case errors.Is(err, envelope.ErrUnknownKey):
		reason = ReasonUnknownKey
		if _, merr := dir.Member(h.SenderMember); merr != nil && h.SenderMember != "" {
			reason = ReasonUnknownSender
		}
	case errors.Is(err, envelope.ErrBadSignature):
		reason = ReasonBadSignature
	case errors.Is(err, envelope.ErrHeaderAltered):
		reason = ReasonHeaderAltered
	default:
		return err
	}
	return &rejection{reason: reason, err: err, header: h}
}

// processEnvelopes opens the case messages ds[i] for i in which, in
// parallel, stores them with one commit, answers each with a receipt and,
// for referrals, tells the coordinator; it sets errs[i] for each.
func (r *Relay) processEnvelopes(ctx context.Context, dir *directory.Directory, ds []inbound, routes []streams.Route, which []int, errs []error) {
	if len(which) == 0 {
		return
	}
	headers := make([]envelope.Header, len(which))
	msgs := make([]exchange.InboxMessage, len(which))
	parallel(len(which), func(k int) {
		i := which[k]
		headers[k], msgs[k], errs[i] = r.openEnvelope(dir, routes[i], ds[i].data)
	})
	var opened []int // into which
	var toStore []exchange.InboxMessage
	for k, i := range which {
		if errs[i] == nil {
			opened, toStore = append(opened, k), append(toStore, msgs[k])
		}
	}
	if len(opened) == 0 {
		return
	}
	stored := exchange.InsertInboxBatch(ctx, r.cfg.Pool, toStore)
	receipts := make([]*outgoing, len(opened))
	events := make([]*trackingv1.TrackingEvent, len(opened))
	for j, k := range opened {
		i, h, res := which[k], headers[k], stored[j]
		if res.Err != nil {
			errs[i] = storeError(h, res.Err)
			continue
		}
		if res.Inserted {
			r.metrics.received.WithLabelValues(h.MessageType).Inc()
			ds[i].log.InfoContext(ctx, "message received", "message_id", h.MessageID, "message_type", h.MessageType,
				"sender_member", string(h.SenderMember))
		} else {
			r.metrics.duplicates.Inc()
			ds[i].log.InfoContext(ctx, "duplicate message answered again", "message_id", h.MessageID)
		}
		// A receipt for every copy: the sender re-sends until one gets
		// through. Every copy gets the same receipt: it names the first
		// copy's envelope digest (the sender recorded the digest of every
		// copy it sealed).
		var digest [sha256.Size]byte
		copy(digest[:], msgs[k].EnvelopeSHA256)
		if len(res.EnvelopeSHA256) == sha256.Size {
			copy(digest[:], res.EnvelopeSHA256)
		}
		if receipts[j], errs[i] = r.receipt(dir, h, digest, res.ReceivedAt, ds[i].seq); errs[i] != nil {
			continue
		}
		if h.MessageType == string(exchange.TypeReferral) {
			// Derived event id: a duplicate, or a retry after a failure
			// here, is deduplicated downstream.
			events[j] = r.deliveredEvent(msgs[k], res.ReceivedAt)
		}
	}
	var receiptErrs, eventErrs []error
	var wg sync.WaitGroup
	wg.Go(func() { receiptErrs = r.publishAll(ctx, receipts) })
	wg.Go(func() { eventErrs = r.sendTrackingBatch(ctx, events) })
	wg.Wait()
	for j, k := range opened {
		i := which[k]
		switch {
		case receipts[j] == nil:
		case receiptErrs[j] != nil:
			errs[i] = fmt.Errorf("publish receipt: %w", receiptErrs[j])
		default:
			r.metrics.receipts.WithLabelValues("sent").Inc()
			errs[i] = eventErrs[j]
		}
	}
}

// openEnvelope opens a case message and checks it against its route and
// the directory, and returns its header and the inbox row to store.
func (r *Relay) openEnvelope(dir *directory.Directory, route streams.Route, data []byte) (envelope.Header, exchange.InboxMessage, error) {
	peek, _ := envelope.PeekHeader(data) // for the quarantine record only
	opener := envelope.Opener{Self: r.me, Keys: r.cfg.Keys.Decryption, Peers: dir}
	h, plaintext, err := opener.Open(data)
	if err != nil {
		return peek, exchange.InboxMessage{}, classify(err, dir, peek)
	}
	bad := func(reason Reason, format string, args ...any) (envelope.Header, exchange.InboxMessage, error) {
		return h, exchange.InboxMessage{}, &rejection{reason: reason, err: fmt.Errorf(format, args...), header: h}
	}
	if h.SenderMember.Domain() != route.From {
		return bad(ReasonRouteMismatch, "envelope %s signed by %s arrived from %s", h.MessageID, h.SenderMember, route.From)
	}
	if h.MessageType != route.Type {
		return bad(ReasonRouteMismatch, "envelope %s of type %s arrived as %s", h.MessageID, h.MessageType, route.Type)
	}
	if h.Corridor != dir.Corridor {
		return bad(ReasonRouteMismatch, "envelope %s is for corridor %s, this is %s", h.MessageID, h.Corridor, dir.Corridor)
	}
	// A member sends under its own ids only: no member can pre-empt
	// another's message by sending first under its id.
	if !strings.HasPrefix(h.MessageID, exchange.MessageIDPrefix(h.SenderMember)) {
		return bad(ReasonForeignMessageID, "envelope %s from %s: message id without the prefix %s",
			h.MessageID, h.SenderMember, exchange.MessageIDPrefix(h.SenderMember))
	}
	// A recording replayed after its window, or a message dated ahead,
	// is refused; the inbox remembers every id for longer than the window.
	if err := dir.CheckSentAt(h.SenderMember, h.SenderKeyID, h.SentAt, time.Now()); err != nil {
		if errors.Is(err, directory.ErrOutsideWindow) {
			return bad(ReasonOutsideWindow, "envelope %s: %w", h.MessageID, err)
		}
		return h, exchange.InboxMessage{}, err
	}
	if _, err := dir.Agency(h.SenderMember, h.SenderAgency); err != nil {
		return bad(ReasonUnknownAgency, "envelope %s: sender agency: %w", h.MessageID, err)
	}
	if _, err := dir.Agency(r.me, h.RecipientAgency); err != nil {
		return bad(ReasonUnknownAgency, "envelope %s: recipient agency: %w", h.MessageID, err)
	}
	digest := sha256.Sum256(data)
	return h, exchange.InboxMessage{
		MessageID:       h.MessageID,
		Corridor:        h.Corridor,
		MessageType:     exchange.MessageType(h.MessageType),
		CaseRef:         h.CaseRef,
		ReferralID:      h.ReferralID, // from the signed header: the relay never reads the payload
		SenderMember:    h.SenderMember,
		SenderAgency:    h.SenderAgency,
		RecipientAgency: h.RecipientAgency,
		SentAt:          h.SentAt,
		Payload:         plaintext,
		EnvelopeSHA256:  digest[:],
	}, nil
}

// storeError turns an error storing envelope h's message into a
// rejection, or returns it unchanged when it may pass.
func storeError(h envelope.Header, err error) error {
	if errors.Is(err, exchange.ErrConflictingDuplicate) {
		// Not a copy but another message under the same identity:
		// answering it would tell the sender something was delivered.
		return &rejection{reason: ReasonConflictingDuplicate, err: fmt.Errorf("envelope %s: %w", h.MessageID, err), header: h}
	}
	if corridor.KindOf(err) == corridor.KindInvalid {
		// Signed by a member, but not storable: a sender's bug.
		return &rejection{reason: ReasonMalformed, err: fmt.Errorf("envelope %s: %w", h.MessageID, err), header: h}
	}
	return err
}

// receipt signs a receipt for the envelope with the given digest, to
// publish to the sender's slice of our OUTBOX. Its Nats-Msg-Id names the
// INBOX sequence: a redelivery of the same copy is deduplicated, while a
// re-sent copy (a new sequence) is answered anew, in case the first
// receipt was lost.
func (r *Relay) receipt(dir *directory.Directory, h envelope.Header, digest [sha256.Size]byte, receivedAt time.Time, seq uint64) (*outgoing, error) {
	signer, err := r.signer(dir, time.Now())
	if err != nil {
		return nil, err
	}
	receipt, err := envelope.SignReceipt(envelope.Receipt{
		MessageID:      h.MessageID,
		ReceiverMember: r.me,
		ReceiverAgency: h.RecipientAgency,
		SenderMember:   h.SenderMember,
		ReceivedAt:     receivedAt,
		EnvelopeSHA256: digest,
	}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign receipt: %w", err)
	}
	subject, err := streams.OutSubject(r.domain, h.SenderMember.Domain(), ReceiptType)
	if err != nil {
		return nil, fmt.Errorf("build receipt subject: %w", err)
	}
	msgID, err := derivedMsgID(r.domain, "rcpt-"+strconv.FormatUint(seq, 10)+"-", h.MessageID)
	if err != nil {
		return nil, fmt.Errorf("build receipt message id: %w", err)
	}
	return &outgoing{subject: subject, msgID: msgID, data: receipt}, nil
}

// processReceipts checks, in parallel, the peers' receipts at indexes of
// ds for our messages, then records those that pass on their outbox rows in
// one statement, which tells the case system (exchange_receipt). Each
// receipt's error goes to errs at its index: a check's refusal is its own;
// a failure of the statement is every recorded receipt's, and retried.
func (r *Relay) processReceipts(ctx context.Context, dir *directory.Directory, ds []inbound, routes []streams.Route, indexes []int, errs []error) {
	checked := make([]envelope.Receipt, len(indexes))
	parallel(len(indexes), func(k int) {
		i := indexes[k]
		checked[k], errs[i] = r.checkReceipt(ctx, dir, routes[i], ds[i].data)
	})
	var batch []exchange.Receipt
	var from []corridor.MemberCode // who signed each receipt of batch
	var at []int                   // where each receipt of batch is in ds
	for k, i := range indexes {
		if errs[i] == nil {
			rc := checked[k]
			batch = append(batch, exchange.Receipt{MessageID: rc.MessageID, At: rc.ReceivedAt, Receipt: ds[i].data})
			from, at = append(from, rc.ReceiverMember), append(at, i)
		}
	}
	if len(batch) == 0 {
		return
	}
	results, err := exchange.RecordReceiptBatch(ctx, r.cfg.Pool, batch)
	for k, i := range at {
		if err != nil {
			errs[i] = fmt.Errorf("record receipt: %w", err)
			continue
		}
		if errs[i] = results[k].Err; errs[i] != nil {
			errs[i] = fmt.Errorf("record receipt: %w", errs[i])
			continue
		}
		if results[k].Recorded {
			r.metrics.receipts.WithLabelValues("received").Inc()
			ds[i].log.InfoContext(ctx, "message delivered", "message_id", batch[k].MessageID,
				"receiver_member", string(from[k]))
		}
	}
}

// checkReceipt opens a peer's receipt for one of our messages and checks
// it against the outbox row and the envelope this relay sealed.
func (r *Relay) checkReceipt(ctx context.Context, dir *directory.Directory, route streams.Route, data []byte) (envelope.Receipt, error) {
	rc, err := envelope.OpenReceipt(data, dir)
	if err != nil {
		return envelope.Receipt{}, classify(err, dir, peekReceipt(data))
	}
	hdr := receiptHeader(rc)
	bad := func(reason Reason, format string, args ...any) error {
		return &rejection{reason: reason, err: fmt.Errorf(format, args...), header: hdr}
	}
	if rc.ReceiverMember.Domain() != route.From {
		return rc, bad(ReasonRouteMismatch, "receipt for %s signed by %s arrived from %s", rc.MessageID, rc.ReceiverMember, route.From)
	}
	if rc.SenderMember != r.me {
		return rc, bad(ReasonRouteMismatch, "receipt for %s names sender %s", rc.MessageID, rc.SenderMember)
	}
	out, err := exchange.GetOutbox(ctx, r.cfg.Pool, rc.MessageID)
	if corridor.KindOf(err) == corridor.KindNotFound {
		return rc, bad(ReasonUnknownMessage, "receipt for %s, which is not in the outbox", rc.MessageID)
	}
	if err != nil {
		return rc, err
	}
	if out.RecipientMember != rc.ReceiverMember || out.RecipientAgency != rc.ReceiverAgency {
		return rc, bad(ReasonReceiptMismatch, "receipt for %s from %s/%s, sent to %s/%s",
			rc.MessageID, rc.ReceiverMember, rc.ReceiverAgency, out.RecipientMember, out.RecipientAgency)
	}
	sent, err := wasSent(ctx, r.cfg.Pool, rc.MessageID, rc.EnvelopeSHA256)
	if err != nil {
		return rc, err
	}
	if !sent {
		return rc, bad(ReasonReceiptMismatch, "receipt for %s names an envelope digest this relay never sealed", rc.MessageID)
	}
	return rc, nil
}

// receiptHeader describes a receipt in the quarantine's header columns: it
// travels from the member that received our message back to us.
func receiptHeader(rc envelope.Receipt) envelope.Header {
	return envelope.Header{
		MessageID:       rc.MessageID,
		SenderMember:    rc.ReceiverMember,
		SenderAgency:    rc.ReceiverAgency,
		RecipientMember: rc.SenderMember,
		MessageType:     ReceiptType,
		SenderKeyID:     rc.KeyID,
	}
}

// peekReceipt reads what a rejected receipt claims, unauthenticated, for
// the quarantine record; an unreadable one gives the zero header.
func peekReceipt(data []byte) envelope.Header {
	var pr corridorv1.Receipt
	if len(data) > envelope.MaxReceiptSize || proto.Unmarshal(data, &pr) != nil {
		return envelope.Header{}
	}
	return receiptHeader(envelope.Receipt{
		MessageID:      identifier(pr.GetMessageId()),
		ReceiverMember: corridor.MemberCode(identifier(pr.GetReceiverMember())),
		ReceiverAgency: identifier(pr.GetReceiverAgency()),
		SenderMember:   corridor.MemberCode(identifier(pr.GetSenderMember())),
	})
}

// identifier returns s if it is what the protocol allows in an identifier
// field (printable ASCII without spaces, at most MaxFieldSize bytes), and ""
// otherwise: an unauthenticated field of a rejected message could hold
// anything, text a person typed included.
func identifier(s string) string {
	if len(s) > envelope.MaxFieldSize {
		return ""
	}
	for i := range len(s) {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return ""
		}
	}
	return s
}

// peek reads what a message claims, unauthenticated, for its quarantine
// record: a receipt's fields or an envelope's header.
func peek(subject string, data []byte) envelope.Header {
	if route, err := streams.ParseInSubject(subject); err == nil && route.Type == ReceiptType {
		return peekReceipt(data)
	}
	h, _ := envelope.PeekHeader(data)
	return h
}

// derivedMsgID returns the Nats-Msg-Id <domain>:<prefix><id> for a message
// derived from message id (its receipt, its tracking event). Such ids are
// deterministic so that republishing is deduplicated; an id too long or
// odd for a Nats-Msg-Id is replaced by its digest, which is as unique.
func derivedMsgID(domain, prefix, id string) (string, error) {
	if msgID, err := streams.MsgID(domain, prefix+id); err == nil {
		return msgID, nil
	}
	sum := sha256.Sum256([]byte(id))
	return streams.MsgID(domain, prefix+hex.EncodeToString(sum[:16]))
}
