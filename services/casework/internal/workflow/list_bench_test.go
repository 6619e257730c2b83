package workflow_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

// benchReferrals is how many referrals the work-list benchmark stores.
const benchReferrals = 1_000_000

// seedSQL stores benchReferrals referrals in one statement. Three in four
// are incoming, seven in eight of those to BF-DPE, the agency the benchmark
// lists (about 656,000 referrals); one in ten is assigned to bf-caseworker.
// They were filed every 150 seconds over the last five years, in the
// statuses of a working agency; the children's names combine 30 given
// names, 40 family names (accents included) and a made-up third name of
// 8,000 kinds, so that a given or family name matches a few percent of the
// list and all three a handful of referrals. The documents hold what a list
// shows, not a whole referral: the benchmark measures the list, not the
// storage of narratives.
const seedSQL = `
INSERT INTO referrals (id, case_ref, side, status, sender_member, sender_agency, sender_user,
	recipient_member, recipient_agency, urgency, details, decision_due_at, child_name_key,
	assignee, assigned_by, assigned_at, created_at, updated_at, due_step, due_at)
SELECT 'ref-bench-' || lpad(i::text, 7, '0'), 'case-bench-' || i, side, status, 'CI', 'CI-DPE', 'ci-caseworker', 'BF',
	CASE WHEN i % 8 = 1 THEN 'BF-DGT' ELSE 'BF-DPE' END, urgency,
	jsonb_build_object('kind', 'responsibility', 'urgency', urgency,
		'recipient', jsonb_build_object('member', 'BF', 'agency', 'BF-DPE'),
		'child', jsonb_build_object('name', jsonb_build_object('given_names', given, 'family_names', family),
			'other_names', jsonb_build_array(other), 'sex', 'female', 'age_years', 12),
		'best_interests', jsonb_build_object('risk_level', 'medium')),
	created + CASE urgency WHEN 'asap' THEN interval '1 day' WHEN 'urgent' THEN interval '3 days' ELSE interval '14 days' END,
	casework_name_key(given || ' ' || family || ' ' || other),
	CASE WHEN i % 10 = 0 THEN 'bf-caseworker' END, CASE WHEN i % 10 = 0 THEN 'bf-supervisor' END,
	CASE WHEN i % 10 = 0 THEN created END,
	created, created,
	-- The step due in each status (workflow.Due), at the test limits.
	CASE status WHEN 'delivered' THEN 'decision' WHEN 'info_requested' THEN 'information_response'
		WHEN 'accepted' THEN 'handover' WHEN 'handover_planned' THEN 'handover' WHEN 'in_care' THEN 'follow_up' END,
	CASE status
		WHEN 'delivered' THEN created + CASE urgency WHEN 'asap' THEN interval '1 day' WHEN 'urgent' THEN interval '3 days' ELSE interval '14 days' END
		WHEN 'info_requested' THEN created + interval '3 days'
		WHEN 'accepted' THEN created + interval '32 days'
		WHEN 'handover_planned' THEN created + interval '32 days'
		WHEN 'in_care' THEN created + interval '240 days' END
FROM generate_series(1, $1::int) AS i,
LATERAL (SELECT
	CASE WHEN i % 4 = 0 THEN 'sender' ELSE 'recipient' END AS side,
	(ARRAY['delivered', 'delivered', 'info_requested', 'accepted', 'accepted', 'accepted', 'declined', 'withdrawn',
		'handover_planned', 'in_care', 'in_care', 'in_care', 'in_care', 'closed', 'closed', 'closed', 'closed', 'closed',
		'closed', 'closed'])[1 + i % 20] AS status,
	(ARRAY['asap', 'urgent', 'urgent', 'urgent', 'routine', 'routine', 'routine', 'routine', 'routine', 'routine'])[1 + (i / 3) % 10] AS urgency,
	(ARRAY['Issa', 'Aminata', 'Fatoumata', 'Salif', 'Adama', 'Mariam', 'Boukary', 'Awa', 'Seydou', 'Aïcha',
		'Hamidou', 'Rasmané', 'Noël', 'Kadiatou', 'Moussa', 'Salimata', 'Ousmane', 'Zénabo', 'Idrissa', 'Haoua',
		'Souleymane', 'Bintou', 'Lassina', 'Rokia', 'Yacouba', 'Djénéba', 'Karim', 'Safiatou', 'Drissa', 'Assétou'])[1 + abs(hashint4(i) % 30)] AS given,
	(ARRAY['Ouédraogo', 'Traoré', 'Koné', 'Sanogo', 'Zoungrana', 'Kaboré', 'Compaoré', 'Sawadogo', 'Diallo', 'Coulibaly',
		'Ouattara', 'Bamba', 'Konaté', 'Yéo', 'Soro', 'Touré', 'Cissé', 'Diarra', 'Kouamé', 'Kouassi',
		'N''Guessan', 'Yao', 'Koffi', 'Zongo', 'Tapsoba', 'Nikiéma', 'Ilboudo', 'Kiemdé', 'Bationo', 'Somé',
		'Dabiré', 'Palé', 'Hien', 'Da', 'Kambou', 'Sié', 'Barro', 'Sidibé', 'Dembélé', 'Fofana'])[1 + abs(hashint4(-i) % 40)] AS family,
	initcap((ARRAY['ka', 'lo', 'mi', 'sa', 'te', 'bu', 'ri', 'no', 'ya', 'go', 'fa', 'di', 'zo', 'pe', 'wu', 'ha', 'je', 'ku', 'ma', 'si'])[1 + i % 20] ||
		(ARRAY['ka', 'lo', 'mi', 'sa', 'te', 'bu', 'ri', 'no', 'ya', 'go', 'fa', 'di', 'zo', 'pe', 'wu', 'ha', 'je', 'ku', 'ma', 'si'])[1 + (i / 20) % 20] ||
		(ARRAY['ka', 'lo', 'mi', 'sa', 'te', 'bu', 'ri', 'no', 'ya', 'go', 'fa', 'di', 'zo', 'pe', 'wu', 'ha', 'je', 'ku', 'ma', 'si'])[1 + (i / 400) % 20]) AS other,
	date_trunc('milliseconds', now()) - i * interval '150 seconds' AS created) AS gen`

// seed stores the benchmark's referrals, then vacuums and analyses the
// table as autovacuum would have long since. The list indexes are built
// after the rows, from the migration's own definitions: a million rows go
// in minutes faster so, and the indexes come out as they would have.
func seed(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT indexname, indexdef FROM pg_indexes
			WHERE tablename = 'referrals' AND indexname <> 'referrals_pkey'`)
		if err != nil {
			return err
		}
		type index struct{ name, def string }
		indexes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (index, error) {
			var i index
			return i, row.Scan(&i.name, &i.def)
		})
		if err != nil {
			return err
		}
		for _, i := range indexes {
			if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{i.name}.Sanitize()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, seedSQL, benchReferrals); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		for _, i := range indexes {
			if _, err := tx.Exec(ctx, i.def); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed referrals: %v", err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE referrals"); err != nil {
		b.Fatalf("vacuum referrals: %v", err)
	}
	b.Logf("stored %d referrals in %s", benchReferrals, time.Since(start).Round(time.Second))
}

// BenchmarkWorkList lists pages of an agency's incoming referrals among a
// million, each order and the usual filters, and searches names; each
// reports its 95th-percentile latency as ms/p95. The referrals are stored
// once, for all the sub-benchmarks.
func BenchmarkWorkList(b *testing.B) {
	pool := pg.NewPool(b, pgtest.Template{Name: "casework", Migrate: store.Migrate})
	seed(b, pool)
	svc, err := workflow.New(pool, workflow.Config{Member: "BF", Corridor: "ci-bf",
		FollowUpEvery: 180 * 24 * time.Hour, InformationResponseWithin: 48 * time.Hour, HandoverWithin: 30 * 24 * time.Hour}, nil, time.Now,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	// The full name of one referral of the list, which a few share.
	var fullName string
	if err := pool.QueryRow(context.Background(), `
		SELECT concat_ws(' ', details#>>'{child,name,given_names}', details#>>'{child,name,family_names}',
			details#>>'{child,other_names,0}')
		FROM referrals WHERE id = 'ref-bench-0123458'`).Scan(&fullName); err != nil {
		b.Fatal(err)
	}
	caseworker := workflow.Caller{Member: "BF", Agency: "BF-DPE", UserID: "bf-caseworker",
		Roles: []corridor.Role{corridor.RoleCaseworker}}
	incoming := func(f workflow.ListFilter) workflow.ListFilter {
		f.Direction = store.Incoming
		if f.Order == "" {
			f.Order = store.Newest
		}
		f.Limit = 100
		return f
	}
	tests := []struct {
		name   string
		filter workflow.ListFilter
		// walk: each operation asks for the page after the previous one,
		// to show that a deep page costs what the first one does.
		walk bool
	}{
		{name: "newest", filter: incoming(workflow.ListFilter{})},
		{name: "newest/walk", filter: incoming(workflow.ListFilter{}), walk: true},
		{name: "urgent", filter: incoming(workflow.ListFilter{Order: store.Urgent})},
		{name: "urgent/walk", filter: incoming(workflow.ListFilter{Order: store.Urgent}), walk: true},
		{name: "newest/status=delivered,info_requested", filter: incoming(workflow.ListFilter{
			Statuses: []cases.Status{cases.StatusDelivered, cases.StatusInfoRequested}})},
		{name: "urgent/overdue", filter: incoming(workflow.ListFilter{Order: store.Urgent, Overdue: true})},
		{name: "newest/assigned=me", filter: incoming(workflow.ListFilter{AssignedToMe: true})},
		{name: "newest/urgency=asap&status=delivered", filter: incoming(workflow.ListFilter{
			Urgencies: []string{"asap"}, Statuses: []cases.Status{cases.StatusDelivered}})},
		{name: "search/full_name", filter: incoming(workflow.ListFilter{Name: fullName})},
		{name: "search/family_name", filter: incoming(workflow.ListFilter{Name: "ouedraogo"})},
		{name: "search/family_name/urgent", filter: incoming(workflow.ListFilter{Name: "ouedraogo", Order: store.Urgent})},
		{name: "search/part_of_name", filter: incoming(workflow.ListFilter{Name: "aminat"})},
		{name: "search/no_match", filter: incoming(workflow.ListFilter{Name: "Nobody Here"})},
	}
	ctx := context.Background()
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			f := tc.filter
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				page, err := svc.List(ctx, caseworker, f)
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if tc.walk {
					f.Before = page.Next // nil after the last page: start again
				}
			}
			b.StopTimer()
			slices.Sort(took)
			p95 := took[(len(took)*95+99)/100-1]
			b.ReportMetric(float64(p95.Microseconds())/1000, "ms/p95")
		})
	}
}
