package codes

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// Division is an ISIC Rev.4 division and the section it belongs to.
type Division struct {
	Code    string // two digits: "01"
	Section string // "A"
	Name    string
}

// Class is an ISIC Rev.4 class and the division it belongs to.
type Class struct {
	Code     string // four digits: "0127"
	Division string // its first two digits: "01"
	Name     string
}

// The ISIC Rev.4 sections and divisions, from the United Nations' International
// Standard Industrial Classification of All Economic Activities, Revision 4
// (ST/ESA/STAT/SER.M/4/Rev.4, 2008), in English. HTCDS codes the labour
// industry with these sections (tier 1) and divisions (tier 2); the
// coordinator sees only the section.
var isicSections = newList(
	Entry{"A", "Agriculture, forestry and fishing"},
	Entry{"B", "Mining and quarrying"},
	Entry{"C", "Manufacturing"},
	Entry{"D", "Electricity, gas, steam and air conditioning supply"},
	Entry{"E", "Water supply; sewerage, waste management and remediation activities"},
	Entry{"F", "Construction"},
	Entry{"G", "Wholesale and retail trade; repair of motor vehicles and motorcycles"},
	Entry{"H", "Transportation and storage"},
	Entry{"I", "Accommodation and food service activities"},
	Entry{"J", "Information and communication"},
	Entry{"K", "Financial and insurance activities"},
	Entry{"L", "Real estate activities"},
	Entry{"M", "Professional, scientific and technical activities"},
	Entry{"N", "Administrative and support service activities"},
	Entry{"O", "Public administration and defence; compulsory social security"},
	Entry{"P", "Education"},
	Entry{"Q", "Human health and social work activities"},
	Entry{"R", "Arts, entertainment and recreation"},
	Entry{"S", "Other service activities"},
	Entry{"T", "Activities of households as employers; undifferentiated goods- and services-producing activities of households for own use"},
	Entry{"U", "Activities of extraterritorial organizations and bodies"},
)

var isicDivisions = []Division{
	{"01", "A", "Crop and animal production, hunting and related service activities"},
	{"02", "A", "Forestry and logging"},
	{"03", "A", "Fishing and aquaculture"},
	{"05", "B", "Mining of coal and lignite"},
	{"06", "B", "Extraction of crude petroleum and natural gas"},
	{"07", "B", "Mining of metal ores"},
	{"08", "B", "Other mining and quarrying"},
	{"09", "B", "Mining support service activities"},
	{"10", "C", "Manufacture of food products"},
	{"11", "C", "Manufacture of beverages"},
	{"12", "C", "Manufacture of tobacco products"},
	{"13", "C", "Manufacture of textiles"},
	{"14", "C", "Manufacture of wearing apparel"},
	{"15", "C", "Manufacture of leather and related products"},
	{"16", "C", "Manufacture of wood and of products of wood and cork, except furniture; manufacture of articles of straw and plaiting materials"},
	{"17", "C", "Manufacture of paper and paper products"},
	{"18", "C", "Printing and reproduction of recorded media"},
	{"19", "C", "Manufacture of coke and refined petroleum products"},
	{"20", "C", "Manufacture of chemicals and chemical products"},
	{"21", "C", "Manufacture of basic pharmaceutical products and pharmaceutical preparations"},
	{"22", "C", "Manufacture of rubber and plastics products"},
	{"23", "C", "Manufacture of other non-metallic mineral products"},
	{"24", "C", "Manufacture of basic metals"},
	{"25", "C", "Manufacture of fabricated metal products, except machinery and equipment"},
	{"26", "C", "Manufacture of computer, electronic and optical products"},
	{"27", "C", "Manufacture of electrical equipment"},
	{"28", "C", "Manufacture of machinery and equipment n.e.c."},
	{"29", "C", "Manufacture of motor vehicles, trailers and semi-trailers"},
	{"30", "C", "Manufacture of other transport equipment"},
	{"31", "C", "Manufacture of furniture"},
	{"32", "C", "Other manufacturing"},
	{"33", "C", "Repair and installation of machinery and equipment"},
	{"35", "D", "Electricity, gas, steam and air conditioning supply"},
	{"36", "E", "Water collection, treatment and supply"},
	{"37", "E", "Sewerage"},
	{"38", "E", "Waste collection, treatment and disposal activities; materials recovery"},
	{"39", "E", "Remediation activities and other waste management services"},
	{"41", "F", "Construction of buildings"},
	{"42", "F", "Civil engineering"},
	{"43", "F", "Specialized construction activities"},
	{"45", "G", "Wholesale and retail trade and repair of motor vehicles and motorcycles"},
	{"46", "G", "Wholesale trade, except of motor vehicles and motorcycles"},
	{"47", "G", "Retail trade, except of motor vehicles and motorcycles"},
	{"49", "H", "Land transport and transport via pipelines"},
	{"50", "H", "Water transport"},
	{"51", "H", "Air transport"},
	{"52", "H", "Warehousing and support activities for transportation"},
	{"53", "H", "Postal and courier activities"},
	{"55", "I", "Accommodation"},
	{"56", "I", "Food and beverage service activities"},
	{"58", "J", "Publishing activities"},
	{"59", "J", "Motion picture, video and television programme production, sound recording and music publishing activities"},
	{"60", "J", "Programming and broadcasting activities"},
	{"61", "J", "Telecommunications"},
	{"62", "J", "Computer programming, consultancy and related activities"},
	{"63", "J", "Information service activities"},
	{"64", "K", "Financial service activities, except insurance and pension funding"},
	{"65", "K", "Insurance, reinsurance and pension funding, except compulsory social security"},
	{"66", "K", "Activities auxiliary to financial service and insurance activities"},
	{"68", "L", "Real estate activities"},
	{"69", "M", "Legal and accounting activities"},
	{"70", "M", "Activities of head offices; management consultancy activities"},
	{"71", "M", "Architectural and engineering activities; technical testing and analysis"},
	{"72", "M", "Scientific research and development"},
	{"73", "M", "Advertising and market research"},
	{"74", "M", "Other professional, scientific and technical activities"},
	{"75", "M", "Veterinary activities"},
	{"77", "N", "Rental and leasing activities"},
	{"78", "N", "Employment activities"},
	{"79", "N", "Travel agency, tour operator, reservation service and related activities"},
	{"80", "N", "Security and investigation activities"},
	{"81", "N", "Services to buildings and landscape activities"},
	{"82", "N", "Office administrative, office support and other business support activities"},
	{"84", "O", "Public administration and defence; compulsory social security"},
	{"85", "P", "Education"},
	{"86", "Q", "Human health activities"},
	{"87", "Q", "Residential care activities"},
	{"88", "Q", "Social work activities without accommodation"},
	{"90", "R", "Creative, arts and entertainment activities"},
	{"91", "R", "Libraries, archives, museums and other cultural activities"},
	{"92", "R", "Gambling and betting activities"},
	{"93", "R", "Sports activities and amusement and recreation activities"},
	{"94", "S", "Activities of membership organizations"},
	{"95", "S", "Repair of computers and personal and household goods"},
	{"96", "S", "Other personal service activities"},
	{"97", "T", "Activities of households as employers of domestic personnel"},
	{"98", "T", "Undifferentiated goods- and services-producing activities of private households for own use"},
	{"99", "U", "Activities of extraterritorial organizations and bodies"},
}

// isicDivisionIndex maps a division code to its place in isicDivisions.
var isicDivisionIndex = func() map[string]int {
	m := make(map[string]int, len(isicDivisions))
	for i, d := range isicDivisions {
		m[d.Code] = i
	}
	return m
}()

// ISICSection returns the English name of ISIC Rev.4 section code ("A"), and
// whether there is one.
func ISICSection(code string) (string, bool) { return isicSections.lookup(code) }

// ISICSections returns the 21 sections, A to U.
func ISICSections() []Entry { return isicSections.all() }

// ISICDivision returns ISIC Rev.4 division code ("01"), and whether there is
// one.
func ISICDivision(code string) (Division, bool) {
	i, ok := isicDivisionIndex[code]
	if !ok {
		return Division{}, false
	}
	return isicDivisions[i], true
}

// ISICDivisions returns the 88 divisions in code order.
func ISICDivisions() []Division { return append([]Division(nil), isicDivisions...) }

//go:embed data/isic4-classes.tsv
var isicClassesTSV string

// isicClassTable is the parsed class list and its index.
type isicClassTable struct {
	classes []Class
	index   map[string]int
}

// isicClassList parses the embedded classes once, on first use. The file is
// committed and checked by tests, so a parse failure is a broken build.
var isicClassList = sync.OnceValue(func() *isicClassTable {
	t, err := parseISICClasses(isicClassesTSV)
	if err != nil {
		panic(fmt.Sprintf("codes: embedded ISIC classes: %v", err))
	}
	return t
})

func parseISICClasses(tsv string) (*isicClassTable, error) {
	t := &isicClassTable{index: map[string]int{}}
	for i, line := range strings.Split(tsv, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		code, name, ok := strings.Cut(line, "\t")
		if !ok || len(code) != 4 || name == "" || strings.Trim(code, "0123456789") != "" {
			return nil, fmt.Errorf("line %d: want a four-digit code, a tab and a name", i+1)
		}
		if _, ok := ISICDivision(code[:2]); !ok {
			return nil, fmt.Errorf("line %d: class %s of unknown division %s", i+1, code, code[:2])
		}
		if _, dup := t.index[code]; dup {
			return nil, fmt.Errorf("line %d: duplicate class %s", i+1, code)
		}
		t.index[code] = len(t.classes)
		t.classes = append(t.classes, Class{Code: code, Division: code[:2], Name: name})
	}
	return t, nil
}

// ISICClass returns ISIC Rev.4 class code ("0127"), and whether there is
// one.
func ISICClass(code string) (Class, bool) {
	t := isicClassList()
	i, ok := t.index[code]
	if !ok {
		return Class{}, false
	}
	return t.classes[i], true
}

// ISICClasses returns the 419 classes in code order.
func ISICClasses() []Class { return append([]Class(nil), isicClassList().classes...) }
