package codes

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCountries(t *testing.T) {
	t.Parallel()
	all := Countries()
	// ISO 3166-1 has 249 entries (iso-codes 4.15.0); a change here means
	// the data was regenerated and this test should be reviewed with it.
	if len(all) != 249 {
		t.Errorf("%d countries, want 249", len(all))
	}
	for i, c := range all {
		if len(c.Alpha2) != 2 || strings.ToUpper(c.Alpha2) != c.Alpha2 || len(c.Alpha3) != 3 || len(c.Numeric) != 3 || c.Name == "" {
			t.Errorf("bad country %+v", c)
		}
		if i > 0 && all[i-1].Alpha2 >= c.Alpha2 {
			t.Errorf("countries out of order at %s", c.Alpha2)
		}
		if !utf8.ValidString(c.Name) {
			t.Errorf("%s: name is not UTF-8", c.Alpha2)
		}
	}
	tests := []struct {
		code, want string
		ok         bool
	}{
		{"CI", "Côte d'Ivoire", true},
		{"BF", "Burkina Faso", true},
		{"ML", "Mali", true},
		{"GH", "Ghana", true},
		{"MM", "Myanmar", true},
		{"TH", "Thailand", true},
		{"GT", "Guatemala", true},
		{"MX", "Mexico", true},
		{"ci", "", false},
		{"CIV", "", false},
		{"XK", "", false}, // Kosovo: user-assigned, not in ISO 3166-1
		{"COORD", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := Country(tc.code)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Country(%q) = %q, %v; want %q, %v", tc.code, got, ok, tc.want, tc.ok)
		}
	}
	if c, ok := CountryByCode("KR"); !ok || c.Alpha3 != "KOR" || c.Numeric != "410" || c.CommonName != "South Korea" {
		t.Errorf("CountryByCode(KR) = %+v, %v", c, ok)
	}
	// Lists are copies: changing one must not change the next.
	all[0].Name = "changed"
	if Countries()[0].Name == "changed" {
		t.Error("Countries returns the package's own slice")
	}
}

func TestSubdivisions(t *testing.T) {
	t.Parallel()
	total := 0
	for _, c := range Countries() {
		subs := Subdivisions(c.Alpha2)
		total += len(subs)
		for _, s := range subs {
			if s.Country != c.Alpha2 || !strings.HasPrefix(s.Code, c.Alpha2+"-") || s.Name == "" || s.Type == "" {
				t.Errorf("bad subdivision %+v", s)
			}
			if s.Parent != "" {
				p, ok := Subdivision(s.Parent)
				if !ok || p.Country != s.Country {
					t.Errorf("%s: parent %q not a subdivision of the same country", s.Code, s.Parent)
				}
			}
		}
	}
	// 5127 in iso-codes 4.15.0; see TestCountries.
	if total != 5127 {
		t.Errorf("%d subdivisions, want 5127", total)
	}
	tests := []struct {
		code          string
		ok            bool
		name, parent  string
		subdivisionOf string
	}{
		{"CI-AB", true, "Abidjan", "", "CI"},
		{"CI-ZZ", true, "Zanzan", "", "CI"},
		{"BF-03", true, "Centre", "", "BF"},
		{"BF-KAD", true, "Kadiogo", "BF-03", "BF"},
		{"GB-ABC", true, "Armagh City, Banbridge and Craigavon", "GB-NIR", "GB"},
		{"BF-CEN", false, "", "", ""},
		{"ci-ab", false, "", "", ""},
		{"CI", false, "", "", ""},
		{"CI-", false, "", "", ""},
		{"", false, "", "", ""},
	}
	for _, tc := range tests {
		s, ok := Subdivision(tc.code)
		if ok != tc.ok || s.Name != tc.name || s.Parent != tc.parent || s.Country != tc.subdivisionOf {
			t.Errorf("Subdivision(%q) = %+v, %v", tc.code, s, ok)
		}
	}
	if n := len(Subdivisions("CI")); n != 14 {
		t.Errorf("CI has %d subdivisions, want 14", n)
	}
	if n := len(Subdivisions("ZZ")); n != 0 {
		t.Errorf("ZZ has %d subdivisions, want 0", n)
	}
}

func TestParseISORefusesBadData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, c1, c2 string
	}{
		{"short country line", "CI\tCIV\t384\tCôte d'Ivoire\n", ""},
		{"short subdivision line", "CI\tCIV\t384\t\tCôte d'Ivoire\n", "CI-AB\tAbidjan\n"},
		{"subdivision of unknown country", "CI\tCIV\t384\t\tCôte d'Ivoire\n", "BF-03\t\tRegion\tCentre\n"},
	}
	for _, tc := range tests {
		if _, err := parseISO(tc.c1, tc.c2); err == nil {
			t.Errorf("%s: parseISO succeeded", tc.name)
		}
	}
}

// isicRanges is the ISIC Rev.4 structure written out by hand: the divisions
// each section spans. Numbers between the ranges (04, 34, 40, …) are unused.
var isicRanges = []struct {
	section  string
	from, to int
}{
	{"A", 1, 3}, {"B", 5, 9}, {"C", 10, 33}, {"D", 35, 35}, {"E", 36, 39},
	{"F", 41, 43}, {"G", 45, 47}, {"H", 49, 53}, {"I", 55, 56}, {"J", 58, 63},
	{"K", 64, 66}, {"L", 68, 68}, {"M", 69, 75}, {"N", 77, 82}, {"O", 84, 84},
	{"P", 85, 85}, {"Q", 86, 88}, {"R", 90, 93}, {"S", 94, 96}, {"T", 97, 98},
	{"U", 99, 99},
}

func TestISIC(t *testing.T) {
	t.Parallel()
	sections := ISICSections()
	if len(sections) != 21 {
		t.Fatalf("%d sections, want 21", len(sections))
	}
	for i, s := range sections {
		if want := string(rune('A' + i)); s.Code != want || s.Name == "" {
			t.Errorf("section %d = %+v, want code %s", i, s, want)
		}
	}
	if len(ISICDivisions()) != 88 {
		t.Errorf("%d divisions, want 88", len(ISICDivisions()))
	}
	if len(isicRanges) != 21 {
		t.Fatalf("ranges cover %d sections", len(isicRanges))
	}
	// Every two-digit number is a division exactly when it lies in a
	// section's range, and then it belongs to that section.
	for n := 0; n <= 99; n++ {
		code := string([]byte{byte('0' + n/10), byte('0' + n%10)})
		want := ""
		for _, r := range isicRanges {
			if n >= r.from && n <= r.to {
				want = r.section
			}
		}
		d, ok := ISICDivision(code)
		switch {
		case want == "" && ok:
			t.Errorf("division %s exists but no section spans it", code)
		case want != "" && !ok:
			t.Errorf("division %s is missing (section %s)", code, want)
		case ok && (d.Section != want || d.Code != code || d.Name == ""):
			t.Errorf("division %s = %+v, want section %s", code, d, want)
		}
	}
	// Divisions come in code order.
	divs := ISICDivisions()
	for i := 1; i < len(divs); i++ {
		if divs[i-1].Code >= divs[i].Code {
			t.Errorf("divisions out of order at %s", divs[i].Code)
		}
	}
	for _, tc := range []struct{ code, name string }{
		{"A", "Agriculture, forestry and fishing"},
		{"T", "Activities of households as employers; undifferentiated goods- and services-producing activities of households for own use"},
	} {
		if got, ok := ISICSection(tc.code); !ok || got != tc.name {
			t.Errorf("ISICSection(%s) = %q, %v", tc.code, got, ok)
		}
	}
	for _, code := range []string{"a", "V", "", "AA", "1"} {
		if _, ok := ISICSection(code); ok {
			t.Errorf("ISICSection(%q) ok", code)
		}
	}
	for _, tc := range []struct{ code, name string }{
		{"01", "Crop and animal production, hunting and related service activities"},
		{"03", "Fishing and aquaculture"},
		{"97", "Activities of households as employers of domestic personnel"},
	} {
		if d, ok := ISICDivision(tc.code); !ok || d.Name != tc.name {
			t.Errorf("ISICDivision(%s) = %+v, %v", tc.code, d, ok)
		}
	}
	for _, code := range []string{"1", "001", "04", "100", "", "A"} {
		if _, ok := ISICDivision(code); ok {
			t.Errorf("ISICDivision(%q) ok", code)
		}
	}
}

func TestILOLists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		list   []Entry
		lookup func(string) (string, bool)
		codes  []string
	}{
		{"C182", C182Categories(), C182Category, []string{"c182_3a", "c182_3b", "c182_3c", "c182_3d"}},
		{"R190", Hazards(), Hazard, []string{"r190_3a", "r190_3b", "r190_3c", "r190_3d", "r190_3e"}},
		{"forced labour", ForcedLabourIndicators(), ForcedLabourIndicator, []string{
			"abuse_of_vulnerability", "deception", "restriction_of_movement", "isolation",
			"physical_and_sexual_violence", "intimidation_and_threats", "retention_of_identity_documents",
			"withholding_of_wages", "debt_bondage", "abusive_working_and_living_conditions", "excessive_overtime",
		}},
		{"age methods", AgeMethods(), AgeMethod, []string{
			"identity_document", "civil_registry", "dental", "skeletal_xray",
			"physical_appearance", "psychosocial_interview", "self_declared", "other",
		}},
		{"child forced labour", ChildForcedLabourIndicators(), ChildForcedLabourIndicator, []string{
			"recruitment_abduction", "recruitment_sale", "recruitment_debt", "recruitment_deception",
			"recruitment_without_family", "recruitment_trafficked",
			"duress_excessive_hours", "duress_hazardous_work", "duress_illicit_activities", "duress_no_or_low_pay",
			"duress_degrading_living_conditions", "duress_restricted_movement_communication", "duress_no_schooling",
			"duress_multiple_dependency",
			"leaving_debt", "leaving_wages_due", "leaving_not_free",
			"penalty_physical_sexual_violence", "penalty_threats_child", "penalty_threats_family", "penalty_confinement",
			"penalty_isolation", "penalty_deprivation", "penalty_withheld_wages", "penalty_confiscated_documents",
		}},
		// HTCDS 2.0 "Field Definitions.md", Methods Of Control: 17 methods.
		{"methods of control", MethodsOfControl(), MethodOfControl, []string{
			"debt_bondage", "takes_earnings", "restricts_financial_access", "threats", "psychological_abuse",
			"physical_abuse", "sexual_abuse", "false_promises", "psychoactive_substances", "restricts_movement",
			"restricts_medical_care", "excessive_working_hours", "uses_children", "threat_of_law_enforcement",
			"withholds_necessities", "withholds_documents", "other",
		}},
		{"exploitation types", ExploitationTypes(), ExploitationType, []string{
			"forced_labour", "sexual_exploitation", "child_labour", "forced_marriage", "servitude",
			"forced_military", "organ_removal", "forced_begging", "forced_adoption", "surrogacy", "other",
		}},
		{"migration statuses", MigrationStatuses(), MigrationStatus, []string{
			// The codes referrals used before HTCDS's list: they must stay.
			"labour_migrant", "irregular", "stranded", "returnee", "unaccompanied_child", "separated_child", "other", "unknown",
			"family_migrant", "visitor_migrant", "student_migrant", "asylum_seeker", "refugee", "complementary_protection",
			"stateless", "environmental_migrant", "vulnerable_migrant", "forced_migrant", "deportee", "ex_combatant",
			"internally_displaced",
		}},
		{"interim care", InterimCareTypes(), InterimCareType, []string{
			"transit_centre", "foster_family", "relative", "shelter", "hospital", "police_custody", "detention", "other",
		}},
		{"case systems", CaseSystems(), CaseSystem, []string{"primero", "clms", "clmrs", "other"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if len(tc.list) != len(tc.codes) {
				t.Fatalf("%d entries, want %d", len(tc.list), len(tc.codes))
			}
			for i, code := range tc.codes {
				if tc.list[i].Code != code || tc.list[i].Name == "" {
					t.Errorf("entry %d = %+v, want code %s", i, tc.list[i], code)
				}
				if name, ok := tc.lookup(code); !ok || name != tc.list[i].Name {
					t.Errorf("lookup(%s) = %q, %v", code, name, ok)
				}
			}
			for _, bad := range []string{"", "x", strings.ToUpper(tc.codes[0]), tc.codes[0] + " "} {
				if _, ok := tc.lookup(bad); ok {
					t.Errorf("lookup(%q) ok", bad)
				}
			}
		})
	}
}

func TestInterimCareIsProtectionConcern(t *testing.T) {
	t.Parallel()
	var concerns []string
	for _, e := range InterimCareTypes() {
		if InterimCareIsProtectionConcern(e.Code) {
			concerns = append(concerns, e.Code)
		}
	}
	if strings.Join(concerns, ",") != "police_custody,detention" {
		t.Errorf("protection concerns = %v, want police_custody and detention", concerns)
	}
	if InterimCareIsProtectionConcern("") || InterimCareIsProtectionConcern("prison") {
		t.Error("an unknown type is a protection concern")
	}
}

func TestISICClasses(t *testing.T) {
	t.Parallel()
	classes := ISICClasses()
	// ISIC Rev.4 has 419 classes.
	if len(classes) != 419 {
		t.Errorf("%d classes, want 419", len(classes))
	}
	divisionsWithClasses := map[string]bool{}
	for i, c := range classes {
		if len(c.Code) != 4 || c.Division != c.Code[:2] || c.Name == "" || strings.TrimSpace(c.Name) != c.Name {
			t.Errorf("bad class %+v", c)
		}
		if _, ok := ISICDivision(c.Division); !ok {
			t.Errorf("class %s: no division %s", c.Code, c.Division)
		}
		if i > 0 && classes[i-1].Code >= c.Code {
			t.Errorf("classes out of order at %s", c.Code)
		}
		divisionsWithClasses[c.Division] = true
	}
	// Every division has at least one class.
	for _, d := range ISICDivisions() {
		if !divisionsWithClasses[d.Code] {
			t.Errorf("division %s has no class", d.Code)
		}
	}
	// The classes of the corridor's sectors.
	for _, tc := range []struct{ code, division, name string }{
		{"0127", "01", "Growing of beverage crops"},
		{"0311", "03", "Marine fishing"},
		{"0899", "08", "Other mining and quarrying n.e.c."},
		{"9700", "97", "Activities of households as employers of domestic personnel"},
		{"1073", "10", "Manufacture of cocoa, chocolate and sugar confectionery"},
		{"2392", "23", "Manufacture of clay building materials"},
	} {
		if c, ok := ISICClass(tc.code); !ok || c.Division != tc.division || c.Name != tc.name {
			t.Errorf("ISICClass(%s) = %+v, %v", tc.code, c, ok)
		}
	}
	for _, code := range []string{"", "01", "012", "0120", "0127 ", "01270", "9999", "A"} {
		if _, ok := ISICClass(code); ok {
			t.Errorf("ISICClass(%q) ok", code)
		}
	}
	classes[0].Name = "changed"
	if ISICClasses()[0].Name == "changed" {
		t.Error("ISICClasses returns the package's own slice")
	}
}

func TestParseISICClassesRefusesBadData(t *testing.T) {
	t.Parallel()
	for _, tsv := range []string{
		"0127\n",
		"127\tGrowing\n",
		"01a7\tGrowing\n",
		"0427\tNo such division\n",
		"0127\t\n",
		"0127\tGrowing\n0127\tAgain\n",
	} {
		if _, err := parseISICClasses(tsv); err == nil {
			t.Errorf("parseISICClasses(%q) succeeded", tsv)
		}
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want empty: invalid
	}{
		{"fr", "fr"}, {"en", "en"}, {"es", "es"}, {"pt", "pt"},
		{"mos", "mos"}, {"dyu", "dyu"}, {"my", "my"}, {"th", "th"},
		{"en-us", "en-US"}, {"EN", "en"}, {"fr-CI", "fr-CI"},
		{"zh-Hant-TW", "zh-Hant-TW"}, {"iw", "he"}, {"und", "und"},
		{"fr-x-priv", "fr-x-priv"},
		{"", ""}, {"english", ""}, {"xx", ""}, {"fr_CI", ""}, {"fr CI", ""},
		{"en--US", ""}, {"123", ""}, {"a", ""}, {"en-a", ""}, {" fr", ""},
	}
	for _, tc := range tests {
		got, err := Language(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Language(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Language(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
