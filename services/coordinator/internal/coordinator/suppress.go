package coordinator

import (
	"cmp"
	"math"
	"slices"
)

// Disclosure control (docs/indicators.md, "Suppression"). A count from 1
// to MaxSuppressed is hidden (primary suppression). Published totals and
// the other tables of a release are linear equations over the hidden
// cells, so further cells are hidden (complementary suppression) until no
// hidden cell is determined by them: the rule is checked by solving the
// equations, not by a pattern of "two per row".

// MaxSuppressed is the largest count hidden for being small; 0 is shown.
const MaxSuppressed = 4

// Sum says that the cell Total is the sum of the cells Parts: one row or
// column of a table with its margin.
type Sum struct {
	Total string
	Parts []string
}

// Suppress returns the cells of values to hide, given the sums that hold
// between them (every cell of a sum must be in values). A cell named in
// several tables of the release is one cell, hidden in all of them.
func Suppress(values map[string]int64, sums []Sum) map[string]bool {
	hidden := map[string]bool{}
	for id, v := range values {
		if v >= 1 && v <= MaxSuppressed {
			hidden[id] = true
		}
	}
	if len(hidden) == 0 {
		return hidden
	}
	// sumsOf lists the sums each cell is in.
	sumsOf := map[string][]int{}
	for i, s := range sums {
		sumsOf[s.Total] = append(sumsOf[s.Total], i)
		for _, p := range s.Parts {
			sumsOf[p] = append(sumsOf[p], i)
		}
	}
	for {
		exposed := Exposed(values, sums, hidden)
		if len(exposed) == 0 {
			return hidden
		}
		// Candidates: the published cells that share a sum with an exposed
		// cell. Counts before zeros (hiding a zero hides little: a reader
		// may know the cell is structurally empty); among them the one that
		// leaves the fewest cells exposed, then the smallest, so that as
		// little as possible is lost.
		var candidates []string
		seen := map[string]bool{}
		addFrom := func(s Sum) {
			for _, id := range append([]string{s.Total}, s.Parts...) {
				if !hidden[id] && !seen[id] {
					seen[id] = true
					candidates = append(candidates, id)
				}
			}
		}
		for _, cell := range exposed {
			for _, i := range sumsOf[cell] {
				addFrom(sums[i])
			}
		}
		if len(candidates) == 0 {
			// Every neighbour is hidden and a cell is still determined
			// through a longer chain: widen to every published cell.
			for _, s := range sums {
				addFrom(s)
			}
		}
		if len(candidates) == 0 {
			return hidden // cannot happen: with every cell hidden nothing is determined
		}
		counts := slices.DeleteFunc(slices.Clone(candidates), func(id string) bool { return values[id] == 0 })
		if len(counts) > 0 {
			candidates = counts
		}
		chosen, best := "", 0
		for _, c := range candidates {
			hidden[c] = true
			left := len(Exposed(values, sums, hidden))
			delete(hidden, c)
			better := chosen == "" || left < best ||
				left == best && cmp.Or(cmp.Compare(values[c], values[chosen]), cmp.Compare(c, chosen)) < 0
			if better {
				chosen, best = c, left
			}
		}
		hidden[chosen] = true
	}
}

// Exposed returns the hidden cells whose values follow from the published
// cells through sums, in name order: what an attacker could recompute
// exactly. Each sum is an equation; a hidden cell is determined when every
// solution of the equations gives it the same value, that is when no
// vector of the null space of the hidden cells' coefficient matrix moves
// it.
func Exposed(values map[string]int64, sums []Sum, hidden map[string]bool) []string {
	var names []string
	for id, h := range hidden {
		if h {
			names = append(names, id)
		}
	}
	slices.Sort(names)
	index := make(map[string]int, len(names))
	for i, id := range names {
		index[id] = i
	}
	n := len(names)
	if n == 0 {
		return nil
	}
	// One row per sum over the hidden cells only (the published ones are
	// constants and do not change which cells are determined).
	var rows [][]float64
	for _, s := range sums {
		row := make([]float64, n)
		any := false
		if i, ok := index[s.Total]; ok {
			row[i] -= 1
			any = true
		}
		for _, p := range s.Parts {
			if i, ok := index[p]; ok {
				row[i] += 1
				any = true
			}
		}
		if any {
			rows = append(rows, row)
		}
	}
	pivotCols := reduce(rows, n)
	// A cell is determined when it is a pivot column whose row has no
	// entry in a free column: its value is then the row's constant, and no
	// null vector moves it. A free column is moved by its own null vector.
	isPivot := make([]bool, n)
	for _, c := range pivotCols {
		isPivot[c] = true
	}
	var exposed []string
	for r, c := range pivotCols {
		determined := true
		for j := range n {
			if !isPivot[j] && math.Abs(rows[r][j]) > epsilon {
				determined = false
				break
			}
		}
		if determined {
			exposed = append(exposed, names[c])
		}
	}
	slices.Sort(exposed)
	return exposed
}

const epsilon = 1e-9

// reduce brings rows to reduced row echelon form in place (partial
// pivoting; the coefficients are small integers) and returns the pivot
// column of each of the first rows.
func reduce(rows [][]float64, n int) []int {
	var pivots []int
	r := 0
	for c := 0; c < n && r < len(rows); c++ {
		best := r
		for i := r + 1; i < len(rows); i++ {
			if math.Abs(rows[i][c]) > math.Abs(rows[best][c]) {
				best = i
			}
		}
		if math.Abs(rows[best][c]) <= epsilon {
			continue
		}
		rows[r], rows[best] = rows[best], rows[r]
		p := rows[r][c]
		for j := range n {
			rows[r][j] /= p
		}
		for i := range rows {
			if i == r || math.Abs(rows[i][c]) <= epsilon {
				continue
			}
			f := rows[i][c]
			for j := range n {
				rows[i][j] -= f * rows[r][j]
			}
		}
		pivots = append(pivots, c)
		r++
	}
	return pivots
}
