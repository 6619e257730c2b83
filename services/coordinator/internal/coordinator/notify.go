package coordinator

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/signing"
)

// Webhook headers. The signature is Ed25519, by the coordinator's signing
// key named in SignatureKeyHeader, over signing.Message(
// signing.PurposeNotice, body): docs/coordinator.md says how a receiver
// verifies it.
const (
	SignatureHeader    = "Corridor-Signature"
	SignatureKeyHeader = "Corridor-Signature-Key"
	NoticeIDHeader     = "Corridor-Notice-Id"
)

// Channels a notice goes by.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
)

// Delivery statuses of a notice.
const (
	NoticePending   = "pending"
	NoticeDelivered = "delivered"
	NoticeFailed    = "failed"
)

// NotifyConfig configures the overdue notices; zero values take the
// defaults in the comments.
type NotifyConfig struct {
	// SigningKeyID and SigningKey sign webhook bodies: the coordinator's
	// Ed25519 key, whose public half the directory lists under COORD.
	// Without one, webhook notices fail (visibly) instead of going
	// unsigned.
	SigningKeyID string
	SigningKey   ed25519.PrivateKey
	// SMTPAddr is the mail relay (host:port); without one, e-mail notices
	// fail visibly. SMTPFrom is the sender address; SMTPAuth is optional
	// (net/smtp refuses PLAIN auth without TLS except to localhost).
	SMTPAddr string
	SMTPFrom string
	SMTPAuth smtp.Auth
	// HTTPClient posts webhooks (a client with a 10 s timeout that follows
	// no redirect).
	HTTPClient *http.Client
	// Interval is how often the notifier looks for newly overdue steps
	// and for notices to deliver (1 min).
	Interval time.Duration
	// RetryDelays are the waits after each failed attempt (1 min, 5 min,
	// 15 min, 1 h, 4 h; the last repeats) until MaxAttempts (8), after
	// which the notice is failed and stays in sight.
	RetryDelays []time.Duration
	MaxAttempts int
	// Lease is how long a claimed notice waits before another attempt if
	// its attempt never reports (the coordinator stopped mid-delivery)
	// (5 min).
	Lease time.Duration
	// Batch bounds the rows one sweep or delivery round takes (100).
	Batch int
}

func (n *NotifyConfig) setDefaults() {
	if n.HTTPClient == nil {
		n.HTTPClient = &http.Client{
			Timeout: 10 * time.Second,
			// A redirect is not a delivery: the receiver is told where to post.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if n.Interval <= 0 {
		n.Interval = time.Minute
	}
	if len(n.RetryDelays) == 0 {
		n.RetryDelays = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour}
	}
	if n.MaxAttempts <= 0 {
		n.MaxAttempts = 8
	}
	if n.Lease <= 0 {
		n.Lease = 5 * time.Minute
	}
	if n.Batch <= 0 {
		n.Batch = 100
	}
}

// Notice is what an agency is told of an overdue step: codes and a date,
// never who the child is.
type Notice struct {
	CaseRef         string        `json:"case_ref"`
	Step            cases.DueStep `json:"step"`
	DueAt           time.Time     `json:"due_at"`
	SenderMember    string        `json:"sender_member"`
	RecipientMember string        `json:"recipient_member"`
}

// Notification is a row of the notification outbox.
type Notification struct {
	ID            int64               `json:"id"`
	Notice                            // what is said
	ReferralID    string              `json:"referral_id"`
	Member        corridor.MemberCode `json:"member"`
	Agency        string              `json:"agency"`
	Channel       string              `json:"channel"`
	Target        string              `json:"-"` // a URL or an address: operators see it in the database
	Status        string              `json:"status"`
	Attempts      int                 `json:"attempts"`
	NextAttemptAt time.Time           `json:"next_attempt_at"`
	LastError     string              `json:"last_error,omitempty"`
	CreatedAt     time.Time           `json:"created_at"`
	DeliveredAt   time.Time           `json:"delivered_at,omitzero"`
}

// runNotifier sweeps for newly overdue steps and delivers notices every
// Interval until ctx ends. A failed round is logged and tried again at the
// next tick: the outbox keeps what it had.
func (c *Coordinator) runNotifier(ctx context.Context) {
	t := time.NewTicker(c.cfg.Notify.Interval)
	defer t.Stop()
	for {
		if err := c.NotifyRound(ctx); err != nil && ctx.Err() == nil {
			c.logger.ErrorContext(ctx, "overdue notification round failed; will retry", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// NotifyRound brings the case rows up to the directory's time limits,
// queues the notices of steps that became overdue, and delivers the
// notices that are due.
func (c *Coordinator) NotifyRound(ctx context.Context) error {
	dir, err := c.cfg.Directory.Current(ctx)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if changed, err := EnsureDueLimits(ctx, c.cfg.Pool, DueLimits(dir.TimeLimits)); err != nil {
		return fmt.Errorf("notify: %w", err)
	} else if changed {
		c.logger.InfoContext(ctx, "case due steps recomputed for the directory's time limits")
	}
	if _, err := c.SweepOverdue(ctx); err != nil {
		return err
	}
	_, err = c.DeliverNotices(ctx)
	return err
}

// SweepOverdue queues a notice to each responsible agency of every step
// that is overdue and not yet notified, and marks the step notified in the
// same transaction: each step is notified once, whatever restarts. It
// returns how many steps it marked.
func (c *Coordinator) SweepOverdue(ctx context.Context) (int, error) {
	dir, err := c.cfg.Directory.Current(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep overdue: %w", err)
	}
	total := 0
	for {
		n, err := c.sweepBatch(ctx, dir)
		total += n
		if err != nil || n < c.cfg.Notify.Batch {
			return total, err
		}
	}
}

func (c *Coordinator) sweepBatch(ctx context.Context, dir *directory.Directory) (int, error) {
	now := c.cfg.Now()
	var marked int
	err := pgx.BeginFunc(ctx, c.cfg.Pool, func(tx pgx.Tx) error {
		steps, err := ScanOverdue(ctx, tx, now, c.cfg.Notify.Batch)
		if err != nil {
			return err
		}
		for _, d := range steps {
			for _, side := range d.Step.Responsible() {
				member, agency := d.RecipientMember, d.RecipientAgency
				if side == cases.Sender {
					member, agency = d.SenderMember, d.SenderAgency
				}
				targets := noticeTargets(dir, corridor.MemberCode(member), agency)
				if len(targets) == 0 {
					c.logger.WarnContext(ctx, "overdue step not notified: the directory lists no notify address for the agency",
						"case_ref", d.CaseRef, "step", string(d.Step), "agency", agency)
				}
				for _, t := range targets {
					if _, err := tx.Exec(ctx, `
						INSERT INTO coordinator_notifications (case_ref, referral_id, step, due_at, sender_member,
							recipient_member, member, agency, channel, target, next_attempt_at, created_at)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
						ON CONFLICT (case_ref, step, due_at, agency, channel) DO NOTHING`,
						d.CaseRef, d.ReferralID, string(d.Step), d.DueAt, d.SenderMember, d.RecipientMember,
						member, agency, t.channel, t.target, now); err != nil {
						return err
					}
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE coordinator_cases SET notified_due_at = due_at WHERE case_ref = $1`, d.CaseRef); err != nil {
				return err
			}
		}
		marked = len(steps)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep overdue: %w", err)
	}
	return marked, nil
}

// OverdueStep is a step found overdue and not yet notified.
type OverdueStep struct {
	Notice
	ReferralID, SenderAgency, RecipientAgency string
}

// ScanOverdue returns up to limit steps overdue at now and not yet
// notified, locking their cases' rows (skipping those another sweep holds)
// until tx ends. It reads the coordinator_cases_unnotified index, which
// holds only such steps and those not yet due: its cost does not grow with
// the open cases already notified.
func ScanOverdue(ctx context.Context, tx pgx.Tx, now time.Time, limit int) ([]OverdueStep, error) {
	rows, err := tx.Query(ctx, `
		SELECT case_ref, referral_id, due_step, due_at, sender_member, sender_agency,
			recipient_member, recipient_agency
		FROM coordinator_cases
		WHERE due_at IS NOT NULL AND notified_due_at IS DISTINCT FROM due_at AND due_at < $1
		ORDER BY due_at
		LIMIT $2
		FOR UPDATE SKIP LOCKED`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("scan overdue steps: %w", err)
	}
	steps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OverdueStep, error) {
		var d OverdueStep
		err := row.Scan(&d.CaseRef, &d.ReferralID, &d.Step, &d.DueAt, &d.SenderMember, &d.SenderAgency,
			&d.RecipientMember, &d.RecipientAgency)
		d.DueAt = d.DueAt.UTC()
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan overdue steps: %w", err)
	}
	return steps, nil
}

type noticeTarget struct{ channel, target string }

// noticeTargets returns where the directory says agency wants notices.
func noticeTargets(dir *directory.Directory, member corridor.MemberCode, agency string) []noticeTarget {
	a, err := dir.Agency(member, agency)
	if err != nil || a.Notify == nil {
		return nil
	}
	var out []noticeTarget
	if a.Notify.WebhookURL != "" {
		out = append(out, noticeTarget{ChannelWebhook, a.Notify.WebhookURL})
	}
	if a.Notify.Email != "" {
		out = append(out, noticeTarget{ChannelEmail, a.Notify.Email})
	}
	return out
}

// DeliverNotices attempts every pending notice whose time has come and
// returns how many it attempted. Each is claimed (its attempt counted, its
// next attempt pushed a lease away) before it is sent, so a coordinator
// that stops mid-delivery tries again after the lease, and two never send
// the same notice at once.
func (c *Coordinator) DeliverNotices(ctx context.Context) (int, error) {
	total := 0
	for {
		now := c.cfg.Now()
		rows, err := c.cfg.Pool.Query(ctx, `
			UPDATE coordinator_notifications SET attempts = attempts + 1, next_attempt_at = $2
			WHERE id IN (
				SELECT id FROM coordinator_notifications
				WHERE status = 'pending' AND next_attempt_at <= $1
				ORDER BY next_attempt_at, id
				LIMIT $3
				FOR UPDATE SKIP LOCKED)
			RETURNING id, case_ref, step, due_at, sender_member, recipient_member, channel, target, attempts`,
			now, now.Add(c.cfg.Notify.Lease), c.cfg.Notify.Batch)
		if err != nil {
			return total, fmt.Errorf("claim notices: %w", err)
		}
		claimed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notification, error) {
			var n Notification
			err := row.Scan(&n.ID, &n.CaseRef, &n.Step, &n.DueAt, &n.SenderMember, &n.RecipientMember,
				&n.Channel, &n.Target, &n.Attempts)
			n.DueAt = n.DueAt.UTC()
			return n, err
		})
		if err != nil {
			return total, fmt.Errorf("claim notices: %w", err)
		}
		for _, n := range claimed {
			if err := c.recordAttempt(ctx, n, c.send(ctx, n)); err != nil {
				return total, err
			}
		}
		total += len(claimed)
		if len(claimed) < c.cfg.Notify.Batch {
			return total, nil
		}
	}
}

// recordAttempt stores how an attempt went: delivered, retried after the
// next delay, or failed for good once the attempts run out.
func (c *Coordinator) recordAttempt(ctx context.Context, n Notification, sendErr error) error {
	now := c.cfg.Now()
	var err error
	switch {
	case sendErr == nil:
		_, err = c.cfg.Pool.Exec(ctx, `
			UPDATE coordinator_notifications SET status = 'delivered', delivered_at = $2, last_error = ''
			WHERE id = $1`, n.ID, now)
		c.metrics.notices.WithLabelValues(n.Channel, NoticeDelivered).Inc()
		c.logger.InfoContext(ctx, "overdue notice delivered", "notice", n.ID, "case_ref", n.CaseRef,
			"step", string(n.Step), "channel", n.Channel)
	case n.Attempts >= c.cfg.Notify.MaxAttempts:
		_, err = c.cfg.Pool.Exec(ctx, `
			UPDATE coordinator_notifications SET status = 'failed', last_error = $2 WHERE id = $1`,
			n.ID, text(sendErr.Error()))
		c.metrics.notices.WithLabelValues(n.Channel, NoticeFailed).Inc()
		c.logger.ErrorContext(ctx, "overdue notice failed; no more attempts", "notice", n.ID,
			"case_ref", n.CaseRef, "channel", n.Channel, "attempts", n.Attempts, "error", sendErr)
	default:
		delays := c.cfg.Notify.RetryDelays
		delay := delays[min(n.Attempts-1, len(delays)-1)]
		_, err = c.cfg.Pool.Exec(ctx, `
			UPDATE coordinator_notifications SET next_attempt_at = $2, last_error = $3 WHERE id = $1`,
			n.ID, now.Add(delay), text(sendErr.Error()))
		c.logger.WarnContext(ctx, "overdue notice not delivered; will retry", "notice", n.ID,
			"case_ref", n.CaseRef, "channel", n.Channel, "attempts", n.Attempts, "retry_in", delay, "error", sendErr)
	}
	if err != nil {
		return fmt.Errorf("record notice attempt: %w", err)
	}
	return nil
}

func (c *Coordinator) send(ctx context.Context, n Notification) error {
	switch n.Channel {
	case ChannelWebhook:
		return c.postWebhook(ctx, n)
	case ChannelEmail:
		return c.sendEmail(ctx, n)
	}
	return fmt.Errorf("unknown channel %q", n.Channel)
}

// NoticeBody is the JSON a webhook receives: exactly the Notice.
func NoticeBody(n Notice) []byte {
	b, _ := json.Marshal(n) // strings and a time: cannot fail
	return b
}

// SignNotice signs a webhook body with the coordinator's key.
func SignNotice(priv ed25519.PrivateKey, body []byte) (string, error) {
	sig, err := signing.Sign(priv, signing.PurposeNotice, body)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

func (c *Coordinator) postWebhook(ctx context.Context, n Notification) error {
	cfg := c.cfg.Notify
	if len(cfg.SigningKey) == 0 || cfg.SigningKeyID == "" {
		return errors.New("the coordinator has no signing key for webhooks")
	}
	body := NoticeBody(n.Notice)
	sig, err := SignNotice(cfg.SigningKey, body)
	if err != nil {
		return fmt.Errorf("sign notice: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.Target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post notice: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sig)
	req.Header.Set(SignatureKeyHeader, cfg.SigningKeyID)
	req.Header.Set(NoticeIDHeader, strconv.FormatInt(n.ID, 10))
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap() // the cause, without the URL repeated
		}
		return fmt.Errorf("post notice: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post notice: the receiver answered %s", resp.Status)
	}
	return nil
}

// emailMessage is the notice as an e-mail: codes and a date, in English
// (the corridor's working language for its members' focal points).
func emailMessage(from, to string, n Notification, now time.Time) ([]byte, error) {
	for _, a := range []string{from, to} {
		if strings.ContainsAny(a, "\r\n") {
			return nil, errors.New("an address holds a line break")
		}
		if _, err := mail.ParseAddress(a); err != nil {
			return nil, fmt.Errorf("bad address: %w", err)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", to)
	fmt.Fprintf(&b, "Subject: Overdue: %s of case %s (%s to %s)\r\n", n.Step, n.CaseRef, n.SenderMember, n.RecipientMember)
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <notice-%d@corridor-coordinator>\r\n", n.ID)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "The %s step of cross-border case %s (%s to %s) was due by %s and is overdue.\r\n\r\n",
		n.Step, n.CaseRef, n.SenderMember, n.RecipientMember, n.DueAt.UTC().Format(time.RFC3339))
	b.WriteString("Open the case in your casework to act on it. This notice is sent once for this step.\r\n")
	return []byte(b.String()), nil
}

func (c *Coordinator) sendEmail(ctx context.Context, n Notification) error {
	cfg := c.cfg.Notify
	if cfg.SMTPAddr == "" || cfg.SMTPFrom == "" {
		return errors.New("the coordinator has no mail relay configured")
	}
	msg, err := emailMessage(cfg.SMTPFrom, n.Target, n, c.cfg.Now())
	if err != nil {
		return fmt.Errorf("send notice: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("send notice: %w", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	host, _, _ := net.SplitHostPort(cfg.SMTPAddr)
	client, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("send notice: %w", err)
	}
	defer client.Close()
	if err := smtpSend(client, host, cfg, n.Target, msg); err != nil {
		return fmt.Errorf("send notice: %w", err)
	}
	return nil
}

func smtpSend(client *smtp.Client, host string, cfg NotifyConfig, to string, msg []byte) error {
	if err := client.Hello("corridor-coordinator"); err != nil {
		return err
	}
	if ok, _ := client.Extension("STARTTLS"); ok {
		if err := client.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return err
		}
	}
	if cfg.SMTPAuth != nil {
		if err := client.Auth(cfg.SMTPAuth); err != nil {
			return err
		}
	}
	if err := client.Mail(cfg.SMTPFrom); err != nil {
		return err
	}
	if err := client.Rcpt(to); err != nil {
		return err
	}
	w, err := client.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return client.Quit()
}

// NoticeFilter selects a page of the notification outbox.
type NoticeFilter struct {
	// Status, when set, keeps the notices in that status.
	Status string
	Limit  int
	// Before is the id of the last notice of an earlier page (0: from the
	// newest).
	Before int64
	// CaseRefs, when set, keeps the notices of these cases (the overdue
	// page's).
	CaseRefs []string
}

// ListNotices returns notices of the outbox, newest first, so that a
// failed one is in sight.
func ListNotices(ctx context.Context, db DB, f NoticeFilter) ([]Notification, error) {
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.Query(ctx, `
		SELECT id, case_ref, step, due_at, sender_member, recipient_member, referral_id, member, agency, channel,
			target, status, attempts, next_attempt_at, last_error, created_at, delivered_at
		FROM coordinator_notifications
		WHERE id < $1 AND ($2 = '' OR status = $2) AND ($4::text[] IS NULL OR case_ref = ANY($4))
		ORDER BY id DESC
		LIMIT $3`, before, f.Status, f.Limit, f.CaseRefs)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notification, error) {
		var n Notification
		var delivered *time.Time
		err := row.Scan(&n.ID, &n.CaseRef, &n.Step, &n.DueAt, &n.SenderMember, &n.RecipientMember, &n.ReferralID,
			&n.Member, &n.Agency, &n.Channel, &n.Target, &n.Status, &n.Attempts, &n.NextAttemptAt, &n.LastError,
			&n.CreatedAt, &delivered)
		n.DueAt, n.NextAttemptAt, n.CreatedAt = n.DueAt.UTC(), n.NextAttemptAt.UTC(), n.CreatedAt.UTC()
		if delivered != nil {
			n.DeliveredAt = delivered.UTC()
		}
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	return out, nil
}
