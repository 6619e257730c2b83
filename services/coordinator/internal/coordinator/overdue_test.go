package coordinator_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
	"github.com/corridor-org/corridor/pkg/signing"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// testClock is a coordinator's clock that a test moves.
type testClock struct{ now atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := &testClock{}
	c.set(t)
	return c
}
func (c *testClock) Now() time.Time          { return time.UnixMicro(c.now.Load()).UTC() }
func (c *testClock) set(t time.Time)         { c.now.Store(t.UnixMicro()) }
func (c *testClock) advance(d time.Duration) { c.set(c.Now().Add(d)) }

const day = 24 * time.Hour

// caseBuilder makes the events of one case, reported by the side whose
// milestone it is.
type caseBuilder struct {
	ref, referral    string
	sector, ageBand  string
	sender, receiver string // agencies
	events           []*trackingv1.TrackingEvent
}

func newCase(sector, ageBand string) *caseBuilder {
	return &caseBuilder{ref: corridor.NewID("case-"), referral: corridor.NewID("ref-"), sector: sector, ageBand: ageBand,
		sender: "CI-DGT", receiver: "BF-DPE"}
}

// senderMilestones are those the sender (CI) reports.
var senderMilestones = []string{"referral_sent", "referral_withdrawn", "info_provided", "referral_entered_in_error"}

func (b *caseBuilder) add(milestone string, at time.Time, edit ...func(*trackingv1.TrackingEvent)) *caseBuilder {
	ev := event(at)
	ev.CaseRef, ev.ReferralId, ev.Milestone = b.ref, b.referral, milestone
	ev.SenderAgency, ev.RecipientAgency = b.sender, b.receiver
	ev.Sector, ev.AgeBand = b.sector, b.ageBand
	if !slices.Contains(senderMilestones, milestone) {
		ev.Member, ev.Sector, ev.AgeBand, ev.Sex = "BF", "", "", ""
		ev.EventId = "bf-trk-" + corridor.NewID("bf-")
	}
	for _, e := range edit {
		e(ev)
	}
	b.events = append(b.events, ev)
	return b
}

func (n *node) ingestAll(t *testing.T, w *world, builders ...*caseBuilder) {
	t.Helper()
	for _, b := range builders {
		for _, ev := range b.events {
			from := strings.ToLower(ev.Member)
			if _, err := n.c.Ingest(t.Context(), from, w.signers[corridor.MemberCode(ev.Member)].sign(t, ev)); err != nil {
				t.Fatalf("ingest %s of %s: %v", ev.Milestone, b.ref, err)
			}
		}
	}
}

// casesFixture is a corridor with six cases in every situation the lists
// distinguish, as of clock's now (T).
type casesFixture struct {
	w                                       *world
	n                                       *node
	clock                                   *testClock
	t0                                      time.Time
	waiting, onTime, handover, followUp, ok *caseBuilder
	reReferred                              *caseBuilder
	previousReferral                        string
}

// newCasesFixture ingests, with the test directory's limits (decision
// 72 h, handover 30 days, follow-up every 180 days):
//   - followUp: handed over, last visit 200 days ago, still working: the
//     follow-up 20 days overdue;
//   - handover: accepted 40 days ago, not handed over: 10 days overdue;
//   - waiting: sent 10 days ago, no decision: 7 days overdue;
//   - onTime: delivered yesterday: a decision due in two days;
//   - ok: a visit found the child no longer working: nothing due;
//   - reReferred: declined, then re-referred two days ago: due tomorrow.
func newCasesFixture(t *testing.T, w *world, opts ...func(*coordinator.Config)) *casesFixture {
	t.Helper()
	T := time.Now().Truncate(time.Microsecond).UTC()
	f := &casesFixture{w: w, clock: newClock(T), t0: T}
	opts = append([]func(*coordinator.Config){func(c *coordinator.Config) { c.Now = f.clock.Now }}, opts...)
	f.n = w.startCoordinator(t, false, opts...)
	ago := func(d time.Duration) time.Time { return T.Add(-d) }
	f.followUp = newCase("A", "12-14").add("referral_sent", ago(300*day)).add("referral_delivered", ago(300*day-time.Hour)).
		add("referral_accepted", ago(290*day)).add("handed_over", ago(250*day)).
		add("follow_up_recorded", ago(200*day), func(e *trackingv1.TrackingEvent) { e.StillWorking = trackingv1.Answer_ANSWER_YES })
	f.handover = newCase("A", "15-17").add("referral_sent", ago(60*day)).add("referral_delivered", ago(60*day-time.Hour)).
		add("referral_accepted", ago(40*day))
	f.waiting = newCase("A", "12-14").add("referral_sent", ago(10*day))
	f.onTime = newCase("C", "15-17").add("referral_sent", ago(day+time.Hour)).add("referral_delivered", ago(day))
	f.ok = newCase("A", "5-11").add("referral_sent", ago(300*day)).add("referral_accepted", ago(290*day)).
		add("handed_over", ago(250*day)).
		add("follow_up_recorded", ago(200*day), func(e *trackingv1.TrackingEvent) { e.StillWorking = trackingv1.Answer_ANSWER_NO })
	f.reReferred = newCase("G", "12-14").add("referral_sent", ago(30*day)).add("referral_declined", ago(29*day))
	f.previousReferral = f.reReferred.referral
	f.reReferred.referral = corridor.NewID("ref-")
	f.reReferred.receiver = "BF-SHELTER"
	f.reReferred.add("referral_sent", ago(2*day), func(e *trackingv1.TrackingEvent) { e.PreviousReferralId = f.previousReferral })
	f.n.ingestAll(t, w, f.followUp, f.handover, f.waiting, f.onTime, f.ok, f.reReferred)
	return f
}

func refs(items []coordinator.CaseSummary) []string {
	out := make([]string, len(items))
	for i, c := range items {
		out[i] = c.CaseRef
	}
	return out
}

func TestOverdueList(t *testing.T) {
	t.Parallel()
	f := newCasesFixture(t, newWorld(t, nil))
	ctx := t.Context()

	page, err := coordinator.ListOverdue(ctx, f.n.pool, coordinator.OverdueFilter{Limit: 10}, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := refs(page.Items), []string{f.followUp.ref, f.handover.ref, f.waiting.ref}; !slices.Equal(got, want) || page.Next != nil {
		t.Fatalf("overdue = %v (next %v), want %v: most overdue first", got, page.Next, want)
	}
	for i, want := range []struct {
		step string
		days int
	}{{"follow_up", 20}, {"handover", 10}, {"decision", 7}} {
		c := page.Items[i]
		if string(c.DueStep) != want.step || c.DaysOverdue != want.days || !c.Overdue {
			t.Errorf("%s: step %s, %d days overdue (%v); want %s, %d", c.CaseRef, c.DueStep, c.DaysOverdue, c.Overdue, want.step, want.days)
		}
	}

	// Pages of two, then one; the cursor stays put when a case becomes
	// overdue meanwhile at the end of the order.
	first, err := coordinator.ListOverdue(ctx, f.n.pool, coordinator.OverdueFilter{Limit: 2}, f.clock.Now())
	if err != nil || !slices.Equal(refs(first.Items), []string{f.followUp.ref, f.handover.ref}) || first.Next == nil {
		t.Fatalf("first page %v, next %v, err %v", refs(first.Items), first.Next, err)
	}
	second, err := coordinator.ListOverdue(ctx, f.n.pool, coordinator.OverdueFilter{Limit: 2, Before: first.Next}, f.clock.Now())
	if err != nil || !slices.Equal(refs(second.Items), []string{f.waiting.ref}) || second.Next != nil {
		t.Fatalf("second page %v, next %v, err %v", refs(second.Items), second.Next, err)
	}
	byStep, err := coordinator.ListOverdue(ctx, f.n.pool, coordinator.OverdueFilter{Limit: 10, Step: "handover"}, f.clock.Now())
	if err != nil || !slices.Equal(refs(byStep.Items), []string{f.handover.ref}) {
		t.Fatalf("step=handover: %v, %v", refs(byStep.Items), err)
	}

	// Three days on, the re-referral's decision (due T+1d) and the on-time
	// case's (due T+2d) are overdue too.
	later, err := coordinator.ListOverdue(ctx, f.n.pool, coordinator.OverdueFilter{Limit: 10}, f.clock.Now().Add(3*day))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := refs(later.Items), []string{f.followUp.ref, f.handover.ref, f.waiting.ref, f.reReferred.ref, f.onTime.ref}; !slices.Equal(got, want) {
		t.Errorf("three days later: %v, want %v", got, want)
	}
}

func TestCaseListFilters(t *testing.T) {
	t.Parallel()
	f := newCasesFixture(t, newWorld(t, nil))
	all := []string{f.onTime.ref, f.reReferred.ref, f.waiting.ref, f.handover.ref, f.ok.ref, f.followUp.ref}
	// ok and followUp share their last step's time: the reference breaks the tie.
	if f.ok.ref < f.followUp.ref {
		all[4], all[5] = all[5], all[4]
	}
	tests := []struct {
		name   string
		filter coordinator.CaseFilter
		want   []string
	}{
		{"all, latest step first", coordinator.CaseFilter{}, all},
		{"overdue", coordinator.CaseFilter{Overdue: new(true)}, []string{f.waiting.ref, f.handover.ref, f.followUp.ref}},
		{"not overdue", coordinator.CaseFilter{Overdue: new(false)}, []string{f.onTime.ref, f.reReferred.ref, f.ok.ref}},
		{"milestone", coordinator.CaseFilter{Milestone: "referral_accepted"}, []string{f.handover.ref}},
		{"section", coordinator.CaseFilter{Sector: "C"}, []string{f.onTime.ref}},
		{"age band", coordinator.CaseFilter{AgeBand: "15-17"}, []string{f.onTime.ref, f.handover.ref}},
		{"member pair", coordinator.CaseFilter{SenderMember: "CI", RecipientMember: "BF"}, all},
		{"the other direction", coordinator.CaseFilter{SenderMember: "BF", RecipientMember: "CI"}, nil},
		{"combined", coordinator.CaseFilter{Sector: "A", AgeBand: "12-14", Overdue: new(true)}, []string{f.waiting.ref, f.followUp.ref}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Page by two: the pages put together are the whole list.
			var got []string
			tc.filter.Limit = 2
			for range 10 {
				page, err := coordinator.ListCases(t.Context(), f.n.pool, tc.filter, f.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, refs(page.Items)...)
				if page.Next == nil {
					break
				}
				tc.filter.Before = page.Next
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}

	page, err := coordinator.ListCases(t.Context(), f.n.pool, coordinator.CaseFilter{Limit: 10, Milestone: "referral_sent"}, f.clock.Now())
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("referral_sent: %v, %v", refs(page.Items), err)
	}
	for _, c := range page.Items {
		switch c.CaseRef {
		case f.waiting.ref:
			if c.DaysSinceLastStep != 10 || c.SenderMember != "CI" || c.RecipientMember != "BF" || c.Sector != "A" || c.AgeBand != "12-14" {
				t.Errorf("waiting case: %+v", c)
			}
		case f.reReferred.ref:
			// The re-referral is the current referral: its agency, its limit.
			if c.ReferralID == f.previousReferral || c.Referrals != 2 || c.RecipientAgency != "BF-SHELTER" ||
				c.DueStep != "decision" || !c.DueAt.Equal(f.t0.Add(-2*day+72*time.Hour)) || c.DaysSinceLastStep != 2 {
				t.Errorf("re-referred case: %+v", c)
			}
		}
	}
}

func TestTimelineWithReReferral(t *testing.T) {
	t.Parallel()
	f := newCasesFixture(t, newWorld(t, nil))
	c, err := coordinator.GetCase(t.Context(), f.n.pool, f.reReferred.ref, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Timeline) != 3 || c.Timeline[2].PreviousReferralID != f.previousReferral {
		t.Fatalf("timeline = %+v", c.Timeline)
	}
	want := []coordinator.ReferralLink{
		{ReferralID: f.previousReferral, RecipientMember: "BF", RecipientAgency: "BF-DPE", LatestMilestone: "referral_declined", OpenedAt: f.t0.Add(-30 * day)},
		{ReferralID: f.reReferred.referral, PreviousReferralID: f.previousReferral, RecipientMember: "BF", RecipientAgency: "BF-SHELTER",
			LatestMilestone: "referral_sent", OpenedAt: f.t0.Add(-2 * day)},
	}
	if !slices.Equal(c.ReferralChain, want) {
		t.Errorf("referral chain = %+v\nwant %+v", c.ReferralChain, want)
	}
}

func TestFreshness(t *testing.T) {
	t.Parallel()
	f := newCasesFixture(t, newWorld(t, nil), func(c *coordinator.Config) { c.OutOfContactAfter = 48 * time.Hour })
	ctx := t.Context()
	members := []corridor.MemberCode{ci, bf, "GH"}
	// Events arrive now, in the database's time.
	for _, tc := range []struct {
		name  string
		at    time.Time
		out   []bool
		hours int
	}{
		{"just heard from", time.Now(), []bool{false, false, true}, 0},
		{"at the threshold", time.Now().Add(47 * time.Hour), []bool{false, false, true}, 47},
		{"beyond it", time.Now().Add(49 * time.Hour), []bool{true, true, true}, 49},
	} {
		got, err := coordinator.Freshness(ctx, f.n.pool, members, tc.at, 48*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range got {
			if m.Member != members[i] || m.OutOfContact != tc.out[i] {
				t.Errorf("%s: %s out of contact %v, want %v", tc.name, m.Member, m.OutOfContact, tc.out[i])
			}
			if i < 2 && (m.LastReceivedAt.IsZero() || m.HoursSinceLast == nil || *m.HoursSinceLast < tc.hours-1 || *m.HoursSinceLast > tc.hours) {
				t.Errorf("%s: %s last %v, %v hours", tc.name, m.Member, m.LastReceivedAt, m.HoursSinceLast)
			}
			if i == 2 && (!m.LastReceivedAt.IsZero() || m.HoursSinceLast != nil) {
				t.Errorf("%s: a member never heard from has %+v", tc.name, m)
			}
		}
	}
}

// smtpSink is an SMTP server in the test's process that keeps what it
// receives.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	msgs []sentMail
}

type sentMail struct {
	from string
	to   []string
	data string
}

func startSMTP(t *testing.T) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(sink)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{sink: s}, nil }

func (s *smtpSink) received() []sentMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

type smtpSession struct {
	sink *smtpSink
	cur  sentMail
}

func (s *smtpSession) Reset()        { s.cur = sentMail{} }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, s.cur)
	s.sink.mu.Unlock()
	return nil
}

// webhookReceiver records every POST; it answers 503 to the first attempt
// of each notice, then 200, or always 500 when broken.
type webhookReceiver struct {
	broken bool
	mu     sync.Mutex
	seen   map[string]int
	posts  []webhookPost
}

type webhookPost struct {
	header http.Header
	body   []byte
	status int
}

func (h *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	id := r.Header.Get(coordinator.NoticeIDHeader)
	h.seen[id]++
	status := http.StatusOK
	switch {
	case h.broken:
		status = http.StatusInternalServerError
	case h.seen[id] == 1:
		status = http.StatusServiceUnavailable
	}
	h.posts = append(h.posts, webhookPost{header: r.Header.Clone(), body: body, status: status})
	w.WriteHeader(status)
}

func (h *webhookReceiver) delivered() []webhookPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []webhookPost
	for _, p := range h.posts {
		if p.status == http.StatusOK {
			out = append(out, p)
		}
	}
	return out
}

// piiMarker is a made-up child's name planted where a careless notice or
// answer could pick it up.
const piiMarker = "Zerbinette Quassimodo"

func TestNotifications(t *testing.T) {
	t.Parallel()
	coordIdP := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-coord", Country: coord,
		Users:   []oidcdev.User{{Username: "coordinator", Password: oidcdev.DemoPassword, Roles: []string{"coordinator"}, Agency: "ECOWAS-CLU"}},
		Clients: []oidcdev.Client{{ID: "corridor-web", Public: true, RedirectURIs: []string{redirectURI}}},
	})
	w := newWorld(t, issuers{coord: coordIdP.URL})
	bfHook := &webhookReceiver{seen: map[string]int{}}
	ciHook := &webhookReceiver{seen: map[string]int{}, broken: true}
	bfSrv, ciSrv := httptest.NewServer(bfHook), httptest.NewServer(ciHook)
	t.Cleanup(bfSrv.Close)
	t.Cleanup(ciSrv.Close)
	sink := startSMTP(t)
	agency := func(m corridor.MemberCode, id string) *directory.Agency {
		for i := range w.dir.Members {
			for j := range w.dir.Members[i].Agencies {
				if a := &w.dir.Members[i].Agencies[j]; w.dir.Members[i].Code == m && a.ID == id {
					return a
				}
			}
		}
		t.Fatalf("no agency %s", id)
		return nil
	}
	bfDPE := agency(bf, "BF-DPE")
	bfDPE.Notify = &directory.Notify{WebhookURL: bfSrv.URL + "/corridor", Email: "alerts@dpe.example.bf"}
	bfDPE.Name = "Child protection, desk of " + piiMarker
	agency(ci, "CI-DGT").Notify = &directory.Notify{WebhookURL: ciSrv.URL}
	coordKey := w.signers[coord]

	f := newCasesFixture(t, w, func(c *coordinator.Config) {
		c.Notify = coordinator.NotifyConfig{
			SigningKeyID: coordKey.keyID, SigningKey: coordKey.priv,
			SMTPAddr: sink.addr, SMTPFrom: "coordinator@corridor.example",
			RetryDelays: []time.Duration{time.Minute, 2 * time.Minute}, MaxAttempts: 3,
		}
	})
	ctx := t.Context()
	// An event that tries to carry a name is refused and stores nothing.
	bad := newCase("A", "12-14").add("referral_sent", f.t0.Add(-time.Hour), func(e *trackingv1.TrackingEvent) { e.SenderAgency = piiMarker })
	if _, err := f.n.c.Ingest(ctx, "ci", w.signers[ci].sign(t, bad.events[0])); err == nil {
		t.Fatal("an event naming a person was stored")
	}

	// Three steps are overdue: followUp's and waiting's are BF's (webhook
	// and e-mail each), handover's both sides' (CI by its broken webhook).
	marked, err := f.n.c.SweepOverdue(ctx)
	if err != nil || marked != 3 {
		t.Fatalf("sweep marked %d (%v), want 3", marked, err)
	}
	outbox := func() map[string]coordinator.Notification {
		t.Helper()
		list, err := coordinator.ListNotices(ctx, f.n.pool, coordinator.NoticeFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]coordinator.Notification{}
		for _, n := range list {
			m[n.CaseRef+" "+n.Agency+" "+n.Channel] = n
		}
		return m
	}
	key := func(b *caseBuilder, agency, channel string) string { return b.ref + " " + agency + " " + channel }
	wantKeys := []string{
		key(f.followUp, "BF-DPE", "webhook"), key(f.followUp, "BF-DPE", "email"),
		key(f.waiting, "BF-DPE", "webhook"), key(f.waiting, "BF-DPE", "email"),
		key(f.handover, "BF-DPE", "webhook"), key(f.handover, "BF-DPE", "email"),
		key(f.handover, "CI-DGT", "webhook"),
	}
	checkKeys := func(when string) {
		t.Helper()
		got := outbox()
		if len(got) != len(wantKeys) {
			t.Fatalf("%s: %d notices, want %d: %v", when, len(got), len(wantKeys), got)
		}
		for _, k := range wantKeys {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: no notice %s", when, k)
			}
		}
	}
	checkKeys("after the sweep")
	// Once per step: sweeping again, or after a new event of an overdue
	// case that leaves its step as it was, queues nothing.
	f.n.ingestAll(t, w, newCaseLike(f.handover).add("handover_planned", f.t0.Add(-time.Hour)))
	if marked, err := f.n.c.SweepOverdue(ctx); err != nil || marked != 0 {
		t.Fatalf("second sweep marked %d (%v), want 0", marked, err)
	}
	checkKeys("after a second sweep")

	// First round: e-mails go, every webhook fails once.
	if n, err := f.n.c.DeliverNotices(ctx); err != nil || n != 7 {
		t.Fatalf("first round attempted %d (%v), want 7", n, err)
	}
	for k, n := range outbox() {
		want := coordinator.NoticePending
		if n.Channel == "email" {
			want = coordinator.NoticeDelivered
		}
		if n.Status != want || n.Attempts != 1 {
			t.Errorf("%s after round 1: %s, %d attempts (%s)", k, n.Status, n.Attempts, n.LastError)
		}
		if n.Status == coordinator.NoticePending && (!n.NextAttemptAt.Equal(f.t0.Add(time.Minute)) || !strings.Contains(n.LastError, "50")) {
			t.Errorf("%s: next attempt %v, last error %q", k, n.NextAttemptAt, n.LastError)
		}
	}
	// Not before its delay.
	if n, err := f.n.c.DeliverNotices(ctx); err != nil || n != 0 {
		t.Fatalf("attempted %d (%v) before the retry delay", n, err)
	}
	f.clock.advance(time.Minute)
	if n, err := f.n.c.DeliverNotices(ctx); err != nil || n != 4 {
		t.Fatalf("second round attempted %d (%v), want 4", n, err)
	}
	f.clock.advance(2 * time.Minute)
	if n, err := f.n.c.DeliverNotices(ctx); err != nil || n != 1 {
		t.Fatalf("third round attempted %d (%v), want the broken one", n, err)
	}
	// Failed for good, and in sight; never tried again.
	f.clock.advance(24 * time.Hour)
	if n, err := f.n.c.DeliverNotices(ctx); err != nil || n != 0 {
		t.Fatalf("a failed notice was attempted again (%d, %v)", n, err)
	}
	for k, n := range outbox() {
		want := coordinator.NoticeDelivered
		if n.Agency == "CI-DGT" {
			want = coordinator.NoticeFailed
			if n.Attempts != 3 || !strings.Contains(n.LastError, "500") {
				t.Errorf("%s: %d attempts, %q", k, n.Attempts, n.LastError)
			}
		}
		if n.Status != want {
			t.Errorf("%s: %s, want %s", k, n.Status, want)
		}
	}
	if got := len(ciHook.posts); got != 3 {
		t.Errorf("the broken webhook got %d posts, want 3", got)
	}

	// Each BF webhook notice delivered once, signed by the coordinator's
	// key as the directory lists it, saying exactly the codes and the date.
	delivered := bfHook.delivered()
	if len(delivered) != 3 {
		t.Fatalf("%d webhook deliveries, want 3", len(delivered))
	}
	wantNotice := map[string]coordinator.Notice{}
	for _, b := range []struct {
		c    *caseBuilder
		step string
	}{{f.followUp, "follow_up"}, {f.handover, "handover"}, {f.waiting, "decision"}} {
		cs, err := coordinator.GetCase(ctx, f.n.pool, b.c.ref, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		wantNotice[b.c.ref] = coordinator.Notice{CaseRef: b.c.ref, Step: cs.DueStep, DueAt: cs.DueAt, SenderMember: "CI", RecipientMember: "BF"}
		if string(cs.DueStep) != b.step {
			t.Fatalf("%s: due step %s", b.c.ref, cs.DueStep)
		}
	}
	for _, p := range delivered {
		sig, err := base64.StdEncoding.DecodeString(p.header.Get(coordinator.SignatureHeader))
		if err != nil {
			t.Fatal(err)
		}
		if err := signing.VerifyFrom(w.dir, corridor.Coordinator, p.header.Get(coordinator.SignatureKeyHeader),
			signing.PurposeNotice, p.body, sig); err != nil {
			t.Errorf("signature: %v", err)
		}
		tampered := append([]byte(nil), p.body...)
		tampered[len(tampered)-3] ^= 1
		if signing.VerifyFrom(w.dir, corridor.Coordinator, p.header.Get(coordinator.SignatureKeyHeader),
			signing.PurposeNotice, tampered, sig) == nil {
			t.Error("a tampered body verifies")
		}
		var fields map[string]any
		if err := json.Unmarshal(p.body, &fields); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"case_ref", "due_at", "recipient_member", "sender_member", "step"}; !slices.Equal(keys, want) {
			t.Errorf("notice fields %v, want %v", keys, want)
		}
		var got coordinator.Notice
		if err := json.Unmarshal(p.body, &got); err != nil {
			t.Fatal(err)
		}
		if want := wantNotice[got.CaseRef]; got.CaseRef == "" || !got.DueAt.Equal(want.DueAt) || got.Step != want.Step ||
			got.SenderMember != want.SenderMember || got.RecipientMember != want.RecipientMember {
			t.Errorf("notice %+v, want %+v", got, want)
		}
	}

	// One e-mail per step of BF's, to BF's address.
	mails := sink.received()
	if len(mails) != 3 {
		t.Fatalf("%d e-mails, want 3", len(mails))
	}
	for _, m := range mails {
		if m.from != "coordinator@corridor.example" || !slices.Equal(m.to, []string{"alerts@dpe.example.bf"}) {
			t.Errorf("mail from %s to %v", m.from, m.to)
		}
		n, ok := findNotice(mails, m, wantNotice)
		if !ok || !strings.Contains(m.data, "Subject: Overdue: "+string(n.Step)+" of case "+n.CaseRef+" (CI to BF)") ||
			!strings.Contains(m.data, n.DueAt.Format(time.RFC3339)) {
			t.Errorf("mail:\n%s", m.data)
		}
	}

	// No notice, answer or row holds the marker.
	var everything []string
	for _, p := range bfHook.posts {
		everything = append(everything, string(p.body), strings.Join(headerValues(p.header), "\n"))
	}
	for _, m := range mails {
		everything = append(everything, m.data)
	}
	handler, err := f.n.c.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	tok, err := oidcdev.PasswordLogin(ctx, nil, coordIdP.URL, "corridor-web", redirectURI, "coordinator", oidcdev.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/cases", "/api/v1/overdue", "/api/v1/notifications", "/api/v1/members/freshness",
		"/api/v1/cases/" + f.handover.ref, "/api/v1/quarantine"} {
		status, body := get(t, srv.URL+path, tok.AccessToken)
		if status != http.StatusOK {
			t.Errorf("GET %s = %d: %s", path, status, body)
		}
		everything = append(everything, body)
		if path == "/api/v1/notifications" {
			var list struct {
				Items []map[string]any `json:"items"`
			}
			if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) != 7 {
				t.Fatalf("notifications: %v: %s", err, body)
			}
			for _, it := range list.Items {
				for _, problem := range coordinatorDoc(t).schema(t, "Notification").check(it) {
					t.Errorf("notification %v: %s", it["id"], problem)
				}
			}
		}
	}
	for _, s := range everything {
		if strings.Contains(s, piiMarker) {
			t.Errorf("the marker leaked: %s", s)
		}
	}
	for _, table := range tables(t, f.n) {
		if n := count(t, f.n.pool, `SELECT count(*) FROM `+table+` t WHERE t::text LIKE '%' || $1 || '%'`, piiMarker); n != 0 {
			t.Errorf("table %s holds the marker in %d rows", table, n)
		}
	}
}

// newCaseLike continues the current referral of b.
func newCaseLike(b *caseBuilder) *caseBuilder {
	return &caseBuilder{ref: b.ref, referral: b.referral, sector: b.sector, ageBand: b.ageBand, sender: b.sender, receiver: b.receiver}
}

func findNotice(_ []sentMail, m sentMail, notices map[string]coordinator.Notice) (coordinator.Notice, bool) {
	for ref, n := range notices {
		if strings.Contains(m.data, ref) {
			return n, true
		}
	}
	return coordinator.Notice{}, false
}

func headerValues(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, ","))
	}
	return out
}

func tables(t *testing.T, n *node) []string {
	t.Helper()
	rows, err := n.pool.Query(t.Context(), `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if len(out) < 4 {
		t.Fatalf("tables %v: the scan would prove nothing", out)
	}
	return out
}

// TestCaseAPI checks the lists' parameters and answers over HTTP.
func TestCaseAPI(t *testing.T) {
	t.Parallel()
	coordIdP := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-coord", Country: coord,
		Users:   []oidcdev.User{{Username: "coordinator", Password: oidcdev.DemoPassword, Roles: []string{"coordinator"}, Agency: "ECOWAS-CLU"}},
		Clients: []oidcdev.Client{{ID: "corridor-web", Public: true, RedirectURIs: []string{redirectURI}}},
	})
	f := newCasesFixture(t, newWorld(t, issuers{coord: coordIdP.URL}))
	handler, err := f.n.c.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	tok, err := oidcdev.PasswordLogin(t.Context(), nil, coordIdP.URL, "corridor-web", redirectURI, "coordinator", oidcdev.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	token := tok.AccessToken

	type list struct {
		Items      []map[string]any `json:"items"`
		NextBefore string           `json:"next_before"`
	}
	fetch := func(path string) list {
		t.Helper()
		status, body := get(t, srv.URL+path, token)
		var l list
		if err := json.Unmarshal([]byte(body), &l); status != http.StatusOK || err != nil || l.Items == nil {
			t.Fatalf("GET %s = %d: %s", path, status, body)
		}
		return l
	}
	var got []any
	path := "/api/v1/overdue?limit=2"
	for range 5 {
		l := fetch(path)
		for _, it := range l.Items {
			got = append(got, it["case_ref"])
		}
		if l.NextBefore == "" {
			break
		}
		path = "/api/v1/overdue?limit=2&before=" + url.QueryEscape(l.NextBefore)
	}
	if want := []any{f.followUp.ref, f.handover.ref, f.waiting.ref}; !slices.Equal(got, want) {
		t.Errorf("overdue pages %v, want %v", got, want)
	}
	doc := coordinatorDoc(t)
	for _, it := range fetch("/api/v1/cases").Items {
		for _, problem := range doc.schema(t, "CaseSummary").check(it) {
			t.Errorf("case %v: %s", it["case_ref"], problem)
		}
	}
	l := fetch("/api/v1/cases?overdue=true&sector=A&age_band=12-14&sender_member=CI&recipient_member=BF&milestone=referral_sent")
	if len(l.Items) != 1 || l.Items[0]["case_ref"] != f.waiting.ref || l.Items[0]["overdue"] != true || l.Items[0]["days_overdue"] != 7.0 {
		t.Errorf("filtered list: %v", l.Items)
	}
	// A cursor of one list is not one of the other.
	casesCursor := fetch("/api/v1/cases?limit=1").NextBefore
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/cases?milestone=lost", "milestone"},
		{"/api/v1/cases?sector=AA", "sector"},
		{"/api/v1/cases?age_band=old", "age_band"},
		{"/api/v1/cases?overdue=maybe", "overdue"},
		{"/api/v1/cases?sender_member=c%20i", "sender_member"},
		{"/api/v1/cases?before=xyz", "before"},
		{"/api/v1/cases?limit=1001", "limit"},
		{"/api/v1/overdue?step=lunch", "step"},
		{"/api/v1/overdue?before=" + casesCursor, "before"},
		{"/api/v1/notifications?status=lost", "status"},
		{"/api/v1/notifications?before=-1", "before"},
	} {
		status, body := get(t, srv.URL+tc.path, token)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"`+tc.field+`"`) {
			t.Errorf("GET %s = %d: %s", tc.path, status, body)
		}
	}
	status, body := get(t, srv.URL+"/api/v1/members/freshness", token)
	var fresh struct {
		After int              `json:"out_of_contact_after_hours"`
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &fresh); status != http.StatusOK || err != nil || fresh.After != 72 || len(fresh.Items) != 2 {
		t.Fatalf("freshness %d: %s", status, body)
	}
	for _, it := range fresh.Items {
		for _, problem := range doc.schema(t, "MemberFreshness").check(it) {
			t.Errorf("freshness %v: %s", it["member"], problem)
		}
	}
}

// TestTimeLimitsChange recomputes every case when the directory's limits
// change, and only then.
func TestTimeLimitsChange(t *testing.T) {
	t.Parallel()
	f := newCasesFixture(t, newWorld(t, nil))
	ctx := t.Context()
	limits := coordinator.DueLimits(f.w.dir.TimeLimits)
	// The first round records the limits the rows were computed with.
	if changed, err := coordinator.EnsureDueLimits(ctx, f.n.pool, limits); err != nil || !changed {
		t.Fatalf("first look: changed %v, %v", changed, err)
	}
	if changed, err := coordinator.EnsureDueLimits(ctx, f.n.pool, limits); err != nil || changed {
		t.Fatalf("same limits: changed %v, %v", changed, err)
	}
	longer := limits
	longer.Decision = 30 * day
	if changed, err := coordinator.EnsureDueLimits(ctx, f.n.pool, longer); err != nil || !changed {
		t.Fatalf("new limits: changed %v, %v", changed, err)
	}
	c, err := coordinator.GetCase(ctx, f.n.pool, f.waiting.ref, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !c.DueAt.Equal(f.t0.Add(20*day)) || c.Overdue {
		t.Errorf("with a 30-day decision limit: due %v, overdue %v", c.DueAt, c.Overdue)
	}
}

// TestNoticeClaims: two deliverers at once send each notice once, and a
// notice claimed by a coordinator that stopped before it reported is sent
// after the lease, so a restart loses nothing.
func TestNoticeClaims(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	posts := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts[r.Header.Get(coordinator.NoticeIDHeader)]++
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	w := newWorld(t, nil)
	for i := range w.dir.Members {
		for j := range w.dir.Members[i].Agencies {
			w.dir.Members[i].Agencies[j].Notify = &directory.Notify{WebhookURL: hook.URL}
		}
	}
	key := w.signers[coord]
	f := newCasesFixture(t, w, func(c *coordinator.Config) {
		c.Notify = coordinator.NotifyConfig{SigningKeyID: key.keyID, SigningKey: key.priv, Batch: 1, Lease: 5 * time.Minute}
	})
	ctx := t.Context()
	if marked, err := f.n.c.SweepOverdue(ctx); err != nil || marked != 3 {
		t.Fatalf("sweep marked %d, %v", marked, err)
	}
	// Four notices (the handover's to both sides). A coordinator claims the
	// first and stops before it reports.
	if _, err := f.n.pool.Exec(ctx, `
		UPDATE coordinator_notifications SET attempts = 1, next_attempt_at = $1
		WHERE id = (SELECT min(id) FROM coordinator_notifications)`, f.clock.Now().Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	attempted := make([]int, 2)
	for i := range attempted {
		wg.Go(func() {
			n, err := f.n.c.DeliverNotices(ctx)
			if err != nil {
				t.Error(err)
			}
			attempted[i] = n
		})
	}
	wg.Wait()
	if attempted[0]+attempted[1] != 3 {
		t.Errorf("the deliverers attempted %v, want 3 in all", attempted)
	}
	f.clock.advance(5 * time.Minute)
	if n, err := f.n.c.DeliverNotices(ctx); err != nil || n != 1 {
		t.Fatalf("after the lease: %d attempted, %v; want the claimed one", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 4 {
		t.Errorf("%d notices posted, want 4: %v", len(posts), posts)
	}
	for id, n := range posts {
		if n != 1 {
			t.Errorf("notice %s posted %d times", id, n)
		}
	}
	if n := count(t, f.n.pool, `SELECT count(*) FROM coordinator_notifications WHERE status = 'delivered'`); n != 4 {
		t.Errorf("%d delivered, want 4", n)
	}
}
