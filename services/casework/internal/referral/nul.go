package referral

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// NULFields names every string in v, by JSON path, that holds a NUL
// character. JSON allows "\u0000" but PostgreSQL's text and jsonb cannot
// store it, so such input is refused up front rather than failing in the
// database.
func NULFields(v any) []corridor.FieldError {
	var out []corridor.FieldError
	walkStrings(reflect.ValueOf(v), "", func(path, s string) {
		if strings.ContainsRune(s, 0) {
			out = append(out, corridor.FieldError{Field: path, Message: "must not contain NUL characters"})
		}
	})
	return out
}

func walkStrings(v reflect.Value, path string, visit func(path, s string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, visit)
		}
	case reflect.String:
		visit(path, v.String())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), visit)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if path != "" {
				name = path + "." + name
			}
			walkStrings(v.Field(i), name, visit)
		}
	}
}
