package codes

// Entry is one code of a list, with its English name.
type Entry struct {
	Code string
	Name string
}

// list is a read-only code list with an index, built once when the package
// is initialised.
type list struct {
	entries []Entry
	index   map[string]int
}

func newList(entries ...Entry) list {
	l := list{entries: entries, index: make(map[string]int, len(entries))}
	for i, e := range entries {
		if _, dup := l.index[e.Code]; dup {
			panic("codes: duplicate code " + e.Code)
		}
		l.index[e.Code] = i
	}
	return l
}

func (l list) lookup(code string) (string, bool) {
	i, ok := l.index[code]
	if !ok {
		return "", false
	}
	return l.entries[i].Name, true
}

func (l list) all() []Entry { return append([]Entry(nil), l.entries...) }
