package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// MaxBodyBytes is the largest request body DecodeJSON reads. A referral with
// every field filled in is a few kilobytes; a megabyte leaves room without
// letting a client make the server buffer much.
const MaxBodyBytes = 1 << 20

// DecodeJSON decodes the request body, which must be exactly one JSON value of
// media type application/json (or a +json type) and at most MaxBodyBytes, into
// dst. Unknown fields are refused: a misspelt optional field would otherwise
// be dropped silently. Errors are *corridor.Error of KindInvalid; those about
// one field name it by its JSON path ("child.languages[1]").
func DecodeJSON(r *http.Request, dst any) error {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if r.Body == nil {
		return malformed("The request body is empty.", nil)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &corridor.Error{
				Kind:    corridor.KindInvalid,
				Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes),
				Err:     ErrBodyTooLarge,
			}
		}
		return malformed("The request body could not be read.", err)
	}
	return decodeBody(body, dst)
}

func checkContentType(header string) error {
	unsupported := &corridor.Error{
		Kind:    corridor.KindInvalid,
		Message: "The request body must be application/json.",
		Err:     ErrUnsupportedMediaType,
	}
	if header == "" {
		return unsupported
	}
	mediaType, params, err := mime.ParseMediaType(header)
	if err != nil {
		return unsupported
	}
	if mediaType != "application/json" && !strings.HasSuffix(mediaType, "+json") {
		return unsupported
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return unsupported
	}
	return nil
}

func malformed(message string, cause error) *corridor.Error {
	err := ErrMalformedBody
	if cause != nil {
		err = fmt.Errorf("%w: %w", ErrMalformedBody, cause)
	}
	return &corridor.Error{Kind: corridor.KindInvalid, Message: message, Err: err}
}

func decodeBody(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return malformed("The request body is empty.", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(body, dst, err)
	}
	// A second value, or garbage after the first, means the client sent
	// something other than what it meant to.
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return malformed("The request body must contain a single JSON value.", err)
	}
	return nil
}

func decodeError(body []byte, dst any, err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		invalid   *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &syntaxErr):
		return malformed(fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntaxErr.Offset), err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("The request body ends in the middle of a JSON value.", err)
	case errors.As(err, &typeErr):
		field := pathAtOffset(body, typeErr.Offset)
		if field == "" {
			field = typeErr.Field
		}
		fe := corridor.FieldError{Field: field, Message: "must be " + describeType(typeErr.Type)}
		if field == "" {
			return &corridor.Error{Kind: corridor.KindInvalid, Message: "The request body must be " + describeType(typeErr.Type) + ".", Err: err}
		}
		return &corridor.Error{Kind: corridor.KindInvalid, Message: "The request body has a field of the wrong type.", Fields: []corridor.FieldError{fe}, Err: err}
	case errors.As(err, &invalid):
		// A handler passed a non-pointer: a bug, not the client's fault.
		return fmt.Errorf("decode request body: %w", err)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		// encoding/json reports unknown fields as a plain string naming only
		// the key; find where it is in the document.
		key, uerr := strconv.Unquote(name)
		if uerr != nil {
			key = name
		}
		field := unknownFieldPath(body, reflect.TypeOf(dst), key)
		if field == "" {
			field = key
		}
		return &corridor.Error{
			Kind:    corridor.KindInvalid,
			Message: "The request body has a field this API does not know.",
			Fields:  []corridor.FieldError{{Field: field, Message: "is not a known field"}},
			Err:     err,
		}
	}
	return malformed("The request body could not be decoded.", err)
}

// describeType names a Go type in JSON terms for a message.
func describeType(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	default:
		return "of another type"
	}
}

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// pathFrame is one open container while walking a JSON document's tokens.
type pathFrame struct {
	array bool
	index int    // next element index, arrays only
	key   string // current key, objects only
	// wantKey is true in an object when the next string token is a key.
	wantKey bool
	// typ is the Go type the container decodes into, or nil when unknown
	// (interface values, custom unmarshalers).
	typ reflect.Type
}

// walkJSON calls visit for every value in data, in document order, with the
// JSON path of the value, the Go type it decodes into (nil when unknown), its
// first token, the frame of its parent, and the decoder's offset just after
// that token. visit returns false to stop.
func walkJSON(data []byte, root reflect.Type, visit func(path string, typ reflect.Type, tok json.Token, end int64, parent *pathFrame) bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*pathFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		var parent *pathFrame
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		if delim, ok := tok.(json.Delim); ok && (delim == '}' || delim == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				advance(stack[len(stack)-1])
			}
			continue
		}
		if parent != nil && !parent.array && parent.wantKey {
			key, _ := tok.(string)
			parent.key = key
			parent.wantKey = false
			if !visitKey(stack, key, dec.InputOffset(), visit) {
				return
			}
			continue
		}
		typ := root
		if parent != nil {
			typ = childType(parent)
		}
		if !visit(formatPath(stack), typ, tok, dec.InputOffset(), parent) {
			return
		}
		if delim, ok := tok.(json.Delim); ok {
			stack = append(stack, &pathFrame{array: delim == '[', wantKey: delim == '{', typ: typ})
			continue
		}
		if parent != nil {
			advance(parent)
		}
	}
}

// visitKey reports an object key as a pseudo-value so that the unknown-field
// search can see it; the path is the key's own path.
func visitKey(stack []*pathFrame, key string, end int64, visit func(string, reflect.Type, json.Token, int64, *pathFrame) bool) bool {
	parent := stack[len(stack)-1]
	return visit(formatPath(stack), nil, keyToken(key), end, parent)
}

// keyToken distinguishes an object key from a string value in walkJSON.
type keyToken string

func advance(f *pathFrame) {
	if f.array {
		f.index++
	} else {
		f.wantKey = true
	}
}

func formatPath(stack []*pathFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.array {
			fmt.Fprintf(&b, "[%d]", f.index)
			continue
		}
		if f.wantKey {
			// Between members: the path is the object's own.
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
	}
	return b.String()
}

// childType is the Go type of the current member or element of f.
func childType(f *pathFrame) reflect.Type {
	t := deref(f.typ)
	if t == nil || opaque(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return t.Elem()
	case reflect.Map:
		return t.Elem()
	case reflect.Struct:
		if sf, ok := structField(t, f.key); ok {
			return sf.Type
		}
	}
	return nil
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// opaque reports whether values of t decode themselves, so their inner
// structure says nothing about unknown fields.
func opaque(t reflect.Type) bool {
	return t.Kind() == reflect.Interface ||
		t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
		t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
}

// structField finds the field encoding/json would decode key into: an exact
// name match first, then a case-insensitive one, looking through embedded
// structs.
func structField(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold *reflect.StructField
	var walk func(t reflect.Type) (reflect.StructField, bool)
	walk = func(t reflect.Type) (reflect.StructField, bool) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" {
				if et := deref(sf.Type); et != nil && et.Kind() == reflect.Struct {
					if found, ok := walk(et); ok {
						return found, true
					}
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if name == key {
				return sf, true
			}
			if fold == nil && strings.EqualFold(name, key) {
				found := sf
				fold = &found
			}
		}
		return reflect.StructField{}, false
	}
	if sf, ok := walk(t); ok {
		return sf, true
	}
	if fold != nil {
		return *fold, true
	}
	return reflect.StructField{}, false
}

// pathAtOffset returns the JSON path of the value whose first token ends at or
// after offset, which is where encoding/json reports a type mismatch.
func pathAtOffset(data []byte, offset int64) string {
	var found string
	walkJSON(data, nil, func(path string, _ reflect.Type, tok json.Token, end int64, _ *pathFrame) bool {
		if _, isKey := tok.(keyToken); isKey {
			return true
		}
		if end >= offset {
			found = path
			return false
		}
		return true
	})
	return found
}

// unknownFieldPath returns the JSON path of the first member named key that
// has no field to decode into.
func unknownFieldPath(data []byte, root reflect.Type, key string) string {
	var found string
	walkJSON(data, root, func(path string, _ reflect.Type, tok json.Token, _ int64, parent *pathFrame) bool {
		k, isKey := tok.(keyToken)
		if !isKey || string(k) != key || parent == nil {
			return true
		}
		t := deref(parent.typ)
		if t == nil || t.Kind() != reflect.Struct || opaque(t) {
			return true
		}
		if _, ok := structField(t, key); ok {
			return true
		}
		found = path
		return false
	})
	return found
}
