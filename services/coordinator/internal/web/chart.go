package web

// Charts are drawn on the server as SVG inside the page: no script, no
// image request, text a screen reader and a printer both get. Each chart
// is followed on its page by the table of its figures, which is what
// assistive technology reads (the chart itself is one labelled image).

// chartBar is one bar of a horizontal bar chart. A suppressed bar is
// drawn as an outline with the suppression marker, never with a length
// (a length would show the hidden number).
type chartBar struct {
	Label string
	// Value is the bar's figure; Text is how it is written beside it.
	Value      float64
	Text       string
	Suppressed bool
	// Met marks a bar that reaches the chart's target.
	Met bool
}

// chart is a horizontal bar chart laid out for its template ("chart" in
// parts.html).
type chart struct {
	ID, Title, Desc string
	Width, Height   int
	Rows            []chartRow
	// LabelWidth is where the bars start; BarSpace is the longest bar.
	LabelWidth, BarSpace int
	// LabelEnd is where the labels end, right-aligned.
	LabelEnd int
	// TargetX, when set, is where the target's line is drawn, and
	// TargetText what it says.
	TargetX, TargetTextX int
	TargetText           string
	AxisBottom           int
}

// chartRow is a bar with its coordinates.
type chartRow struct {
	chartBar
	Y, TextY, BarWidth, ValueX int
}

// Chart geometry, in SVG user units: the chart scales to its container.
const (
	chartWidth      = 640
	chartLabelWidth = 220
	chartRowHeight  = 28
	chartBarHeight  = 18
	chartTop        = 8
	chartValueSpace = 150
)

// newChart lays out bars on a scale from 0 to max (the largest value when
// max is 0); target, when above 0, is drawn as a line on that scale.
func newChart(id, title, desc string, bars []chartBar, max, target float64, targetText string) chart {
	if max <= 0 {
		for _, b := range bars {
			if !b.Suppressed && b.Value > max {
				max = b.Value
			}
		}
	}
	c := chart{
		ID: id, Title: title, Desc: desc, Width: chartWidth, LabelWidth: chartLabelWidth,
		BarSpace: chartWidth - chartLabelWidth - chartValueSpace, TargetText: targetText, LabelEnd: chartLabelWidth - 6,
	}
	scale := func(v float64) int {
		if max <= 0 || v <= 0 {
			return 0
		}
		return int(float64(c.BarSpace)*min(v, max)/max + 0.5)
	}
	for i, b := range bars {
		y := chartTop + i*chartRowHeight
		r := chartRow{chartBar: b, Y: y, TextY: y + chartBarHeight - 4}
		if !b.Suppressed {
			r.BarWidth = scale(b.Value)
		}
		r.ValueX = c.LabelWidth + r.BarWidth + 6
		if b.Suppressed {
			r.ValueX = c.LabelWidth + 46 // beside the outline
		}
		c.Rows = append(c.Rows, r)
	}
	c.AxisBottom = chartTop + len(bars)*chartRowHeight
	c.Height = c.AxisBottom + chartTop
	if target > 0 {
		c.TargetX = c.LabelWidth + scale(target)
		c.TargetTextX = c.TargetX + 4
	}
	// The target's words sit under the bars.
	if c.TargetX > 0 {
		c.Height += 16
	}
	return c
}
