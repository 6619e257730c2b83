package coordinator_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// table adds a two-way table with its margins to values and sums: cells
// "name/r/c", row totals "name/r/T", column totals "name/T/c" and the
// grand total "name/T/T". Shared names join tables, as a release's
// tables share their margins.
func table(values map[string]int64, sums *[]coordinator.Sum, name string, cells [][]int64, rowNames, grand string) {
	rows, cols := len(cells), len(cells[0])
	cell := func(r, c int) string {
		rn, cn := "T", "T"
		if r < rows {
			rn = fmt.Sprint(r)
			if rowNames != "" {
				rn = fmt.Sprintf("%s%d", rowNames, r)
			}
		}
		if c < cols {
			cn = fmt.Sprint(c)
		}
		switch {
		case c == cols && r == rows && grand != "":
			return grand
		case c == cols && rowNames != "":
			return "row/" + rn // a row total shared with another table
		}
		return fmt.Sprintf("%s/%s/%s", name, rn, cn)
	}
	for r := 0; r <= rows; r++ {
		s := coordinator.Sum{Total: cell(r, cols)}
		var total int64
		for c := range cols {
			var v int64
			if r < rows {
				v = cells[r][c]
			} else {
				for i := range rows {
					v += cells[i][c]
				}
			}
			values[cell(r, c)] = v
			total += v
			s.Parts = append(s.Parts, cell(r, c))
		}
		values[cell(r, cols)] = total
		*sums = append(*sums, s)
	}
	for c := 0; c <= cols; c++ {
		s := coordinator.Sum{Total: cell(rows, c)}
		for r := range rows {
			s.Parts = append(s.Parts, cell(r, c))
		}
		*sums = append(*sums, s)
	}
}

// peel is the attacker every reader of tables is: take a sum with one
// hidden cell, subtract, and go on with what was learnt.
func peel(values map[string]int64, sums []coordinator.Sum, hidden map[string]bool) []string {
	known := map[string]bool{}
	for id := range values {
		known[id] = !hidden[id]
	}
	var found []string
	for progress := true; progress; {
		progress = false
		for _, s := range sums {
			var unknown []string
			for _, id := range append([]string{s.Total}, s.Parts...) {
				if !known[id] {
					unknown = append(unknown, id)
				}
			}
			if len(unknown) == 1 {
				known[unknown[0]] = true
				found = append(found, unknown[0])
				progress = true
			}
		}
	}
	slices.Sort(found)
	return found
}

// bruteForce enumerates every assignment of non-negative counts to the
// hidden cells, up to limit each, that satisfies every sum, and returns the
// hidden cells that take one value only in all of them: exact disclosure,
// including what knowing that counts are never negative gives away.
func bruteForce(values map[string]int64, sums []coordinator.Sum, hidden map[string]bool, limit int64) []string {
	names := slices.Sorted(maps.Keys(hidden))
	seen := map[string]map[int64]bool{}
	for _, n := range names {
		seen[n] = map[int64]bool{}
	}
	assign := maps.Clone(values)
	pos := map[string]int{}
	for i, n := range names {
		pos[n] = i
	}
	// completes[i] are the sums whose last hidden cell is names[i]: they
	// are checked as soon as it is assigned, which prunes the walk.
	completes := make([][]coordinator.Sum, len(names))
	for _, s := range sums {
		last := -1
		for _, id := range append([]string{s.Total}, s.Parts...) {
			if i, ok := pos[id]; ok && i > last {
				last = i
			}
		}
		if last >= 0 {
			completes[last] = append(completes[last], s)
		}
	}
	holds := func(s coordinator.Sum) bool {
		var sum int64
		for _, p := range s.Parts {
			sum += assign[p]
		}
		return sum == assign[s.Total]
	}
	var walk func(i int)
	walk = func(i int) {
		if i == len(names) {
			for _, n := range names {
				seen[n][assign[n]] = true
			}
			return
		}
		for v := int64(0); v <= limit; v++ {
			assign[names[i]] = v
			if !slices.ContainsFunc(completes[i], func(s coordinator.Sum) bool { return !holds(s) }) {
				walk(i + 1)
			}
		}
	}
	walk(0)
	var determined []string
	for _, n := range names {
		if len(seen[n]) == 1 {
			determined = append(determined, n)
		}
	}
	return determined
}

func TestSuppressAdversarialTables(t *testing.T) {
	t.Parallel()
	type tableSpec struct {
		name     string
		cells    [][]int64
		rowNames string
		grand    string
	}
	for _, tc := range []struct {
		name   string
		tables []tableSpec
		// hidden cells the rule must hide; published cells it must not.
		mustHide, mustShow []string
		brute              int64 // the brute-force attacker's bound; 0: skip it
	}{
		{
			name:     "one small cell in a row and a column",
			tables:   []tableSpec{{name: "a", cells: [][]int64{{3, 10, 12}, {20, 30, 40}}}},
			mustHide: []string{"a/0/0"},
			mustShow: []string{"a/T/T"},
			brute:    45,
		},
		{
			name:     "zero cells stay shown and are not chosen while a count can be",
			tables:   []tableSpec{{name: "a", cells: [][]int64{{2, 0, 9}, {7, 0, 11}}}},
			mustHide: []string{"a/0/0"},
			mustShow: []string{"a/0/1", "a/1/1", "a/T/1"},
			brute:    20,
		},
		{
			name:   "a small margin",
			tables: []tableSpec{{name: "a", cells: [][]int64{{1, 1, 0}, {8, 9, 12}}}},
			// Row 0's total is 2: hidden, with its cells.
			mustHide: []string{"a/0/0", "a/0/1", "a/0/T"},
			brute:    30,
		},
		{
			name:   "every cell small",
			tables: []tableSpec{{name: "a", cells: [][]int64{{1, 2}, {3, 4}}}},
			brute:  12,
		},
		{
			name: "two blocks of hidden cells joined through one cell",
			tables: []tableSpec{{name: "a", cells: [][]int64{
				{1, 2, 30, 0},
				{3, 4, 0, 40},
				{50, 0, 1, 2},
				{0, 60, 3, 4},
			}}},
			brute: 61,
		},
		{
			name: "tables sharing their row totals (sector and sex of the same directions)",
			tables: []tableSpec{
				{name: "sector", cells: [][]int64{{2, 15, 9}, {11, 13, 17}}, rowNames: "dir", grand: "all"},
				{name: "sex", cells: [][]int64{{12, 14}, {20, 21}}, rowNames: "dir", grand: "all"},
			},
			mustHide: []string{"sector/dir0/0"},
			brute:    45,
		},
		{
			name: "a small direction total hidden in every table it appears in",
			tables: []tableSpec{
				{name: "sector", cells: [][]int64{{1, 2, 0}, {11, 13, 17}}, rowNames: "dir", grand: "all"},
				{name: "sex", cells: [][]int64{{1, 2}, {20, 21}}, rowNames: "dir", grand: "all"},
			},
			mustHide: []string{"row/dir0", "sector/dir0/0", "sex/dir0/1"},
			brute:    45,
		},
		{
			name:   "one row",
			tables: []tableSpec{{name: "a", cells: [][]int64{{4, 7, 9}}}},
			brute:  25,
		},
		{
			name:     "nothing small",
			tables:   []tableSpec{{name: "a", cells: [][]int64{{5, 7}, {0, 9}}}},
			mustShow: []string{"a/0/0", "a/0/1", "a/1/0", "a/1/1", "a/T/T"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			values := map[string]int64{}
			var sums []coordinator.Sum
			for _, ts := range tc.tables {
				table(values, &sums, ts.name, ts.cells, ts.rowNames, ts.grand)
			}
			hidden := coordinator.Suppress(values, sums)
			for id, v := range values {
				if v >= 1 && v <= coordinator.MaxSuppressed && !hidden[id] {
					t.Errorf("cell %s = %d is shown", id, v)
				}
			}
			for _, id := range tc.mustHide {
				if !hidden[id] {
					t.Errorf("cell %s is shown, want hidden", id)
				}
			}
			for _, id := range tc.mustShow {
				if hidden[id] {
					t.Errorf("cell %s is hidden, want shown", id)
				}
			}
			if got := peel(values, sums, hidden); len(got) > 0 {
				t.Errorf("subtraction recomputes hidden cells %v (hidden: %v)", got, slices.Sorted(maps.Keys(hidden)))
			}
			if got := coordinator.Exposed(values, sums, hidden); len(got) > 0 {
				t.Errorf("the equations determine hidden cells %v", got)
			}
			if tc.brute > 0 {
				if got := bruteForce(values, sums, hidden, tc.brute); len(got) > 0 {
					t.Errorf("enumeration pins hidden cells %v", got)
				}
			}
		})
	}
}

// TestExposedFindsWhatSubtractionFinds checks the auditor against the
// simple attacker on patterns that are and are not safe.
func TestExposedFindsWhatSubtractionFinds(t *testing.T) {
	t.Parallel()
	values := map[string]int64{}
	var sums []coordinator.Sum
	table(values, &sums, "a", [][]int64{{3, 10, 12}, {20, 30, 40}}, "", "")
	for _, tc := range []struct {
		hidden []string
		want   []string
	}{
		{hidden: []string{"a/0/0"}, want: []string{"a/0/0"}},
		{hidden: []string{"a/0/0", "a/0/1"}, want: []string{"a/0/0", "a/0/1"}},
		{hidden: []string{"a/0/0", "a/0/1", "a/1/0", "a/1/1"}, want: nil},
		// A bridge: two 2x2 rectangles would be safe; an L is not.
		{hidden: []string{"a/0/0", "a/0/1", "a/1/1"}, want: []string{"a/0/0", "a/0/1", "a/1/1"}},
	} {
		hidden := map[string]bool{}
		for _, h := range tc.hidden {
			hidden[h] = true
		}
		got := coordinator.Exposed(values, sums, hidden)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Exposed(%v) = %v, want %v", tc.hidden, got, tc.want)
		}
		if p := peel(values, sums, hidden); len(tc.want) == 0 && len(p) > 0 {
			t.Errorf("peel(%v) = %v but Exposed finds nothing", tc.hidden, p)
		}
	}
}
