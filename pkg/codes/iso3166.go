package codes

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

//go:embed data/iso3166-1.tsv
var iso31661TSV string

//go:embed data/iso3166-2.tsv
var iso31662TSV string

// CountryInfo is one ISO 3166-1 country.
type CountryInfo struct {
	Alpha2     string // "CI"
	Alpha3     string // "CIV"
	Numeric    string // "384"
	Name       string // the ISO short name: "Côte d'Ivoire", "Korea, Republic of"
	CommonName string // a commoner name where ISO's reads oddly ("South Korea"); often empty
}

// SubdivisionInfo is one ISO 3166-2 subdivision.
type SubdivisionInfo struct {
	Code    string // "BF-KAD"
	Country string // "BF"
	Parent  string // the subdivision it lies in, "BF-03"; empty at the top level
	Type    string // "Province", as iso-codes names it, in English
	Name    string // "Kadiogo", in the local language's romanisation
}

type isoTables struct {
	countries    []CountryInfo
	countryIndex map[string]int
	subdivisions []SubdivisionInfo
	subdivIndex  map[string]int
	subdivByCtry map[string][]int
}

// iso parses the embedded files once, on first use. The files are generated
// and checked by tests, so a parse failure is a broken build, not a run-time
// condition.
var iso = sync.OnceValue(func() *isoTables {
	t, err := parseISO(iso31661TSV, iso31662TSV)
	if err != nil {
		panic(fmt.Sprintf("codes: embedded ISO 3166 data: %v", err))
	}
	return t
})

func parseISO(c1, c2 string) (*isoTables, error) {
	t := &isoTables{
		countryIndex: map[string]int{},
		subdivIndex:  map[string]int{},
		subdivByCtry: map[string][]int{},
	}
	for i, line := range strings.Split(c1, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("parse iso3166-1 line %d: %d fields, want 5", i+1, len(f))
		}
		t.countryIndex[f[0]] = len(t.countries)
		t.countries = append(t.countries, CountryInfo{Alpha2: f[0], Alpha3: f[1], Numeric: f[2], CommonName: f[3], Name: f[4]})
	}
	for i, line := range strings.Split(c2, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("parse iso3166-2 line %d: %d fields, want 4", i+1, len(f))
		}
		cc, _, _ := strings.Cut(f[0], "-")
		if _, ok := t.countryIndex[cc]; !ok {
			return nil, fmt.Errorf("parse iso3166-2 line %d: unknown country %q", i+1, cc)
		}
		n := len(t.subdivisions)
		t.subdivIndex[f[0]] = n
		t.subdivByCtry[cc] = append(t.subdivByCtry[cc], n)
		t.subdivisions = append(t.subdivisions, SubdivisionInfo{Code: f[0], Country: cc, Parent: f[1], Type: f[2], Name: f[3]})
	}
	return t, nil
}

// Country returns the ISO short name of the country with alpha-2 code code,
// and whether there is one.
func Country(code string) (string, bool) {
	c, ok := CountryByCode(code)
	return c.Name, ok
}

// CountryByCode returns the country with alpha-2 code code, and whether
// there is one.
func CountryByCode(code string) (CountryInfo, bool) {
	t := iso()
	i, ok := t.countryIndex[code]
	if !ok {
		return CountryInfo{}, false
	}
	return t.countries[i], true
}

// Countries returns every country, ordered by alpha-2 code.
func Countries() []CountryInfo {
	return append([]CountryInfo(nil), iso().countries...)
}

// Subdivision returns the subdivision with ISO 3166-2 code code, and whether
// there is one.
func Subdivision(code string) (SubdivisionInfo, bool) {
	t := iso()
	i, ok := t.subdivIndex[code]
	if !ok {
		return SubdivisionInfo{}, false
	}
	return t.subdivisions[i], true
}

// Subdivisions returns the subdivisions of the country with alpha-2 code
// country, every level of them, ordered by code; none for an unknown country.
func Subdivisions(country string) []SubdivisionInfo {
	t := iso()
	idx := t.subdivByCtry[country]
	out := make([]SubdivisionInfo, len(idx))
	for i, n := range idx {
		out[i] = t.subdivisions[n]
	}
	return out
}
