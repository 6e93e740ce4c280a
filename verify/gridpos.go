package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"nccheck/internal/report"
)

// gridLayout records where the parts of a grid file's text are, so that an
// error can name the line, the column and the setting: the offset of every
// top-level key, and for each entry of "settings" its start, its name and
// the offset of every key. A token walk builds it and stops at the first
// syntax error, so it describes a broken file up to the break.
type gridLayout struct {
	data    []byte
	topKeys map[string]int
	entries []gridEntry
}

// gridEntry is one element of "settings": the offsets of its first byte
// and just past its last (-1 when the walk stopped inside it), its "name"
// when that is a string, and the offset of each key's opening quote.
type gridEntry struct {
	start, end int
	name       string
	keys       map[string]int
}

// layoutOf walks data's JSON tokens.
func layoutOf(data []byte) *gridLayout {
	l := &gridLayout{data: data, topKeys: map[string]int{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return l
	}
	for dec.More() {
		off := l.next(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return l
		}
		key, _ := tok.(string)
		if _, ok := l.topKeys[key]; !ok {
			l.topKeys[key] = off
		}
		if key != "settings" {
			if skipJSON(dec) != nil {
				return l
			}
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return l
		}
		for dec.More() {
			if !l.walkEntry(dec) {
				return l
			}
		}
		if _, err := dec.Token(); err != nil {
			return l
		}
	}
	return l
}

// walkEntry records one element of "settings"; false when the walk must
// stop (a syntax error).
func (l *gridLayout) walkEntry(dec *json.Decoder) bool {
	e := gridEntry{start: l.next(dec.InputOffset()), end: -1, keys: map[string]int{}}
	tok, err := dec.Token()
	if err != nil {
		return false // no entry starts here (a trailing comma, say)
	}
	defer func() { l.entries = append(l.entries, e) }()
	if tok != json.Delim('{') {
		if skipRest(dec, tok) != nil {
			return false
		}
		e.end = int(dec.InputOffset())
		return true
	}
	for dec.More() {
		off := l.next(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		k, _ := tok.(string)
		if _, ok := e.keys[k]; !ok {
			e.keys[k] = off
		}
		v, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := v.(string); ok && k == "name" {
			e.name = s
		}
		if skipRest(dec, v) != nil {
			return false
		}
	}
	if _, err := dec.Token(); err != nil {
		return false
	}
	e.end = int(dec.InputOffset())
	return true
}

// next is the offset of the next token at or after off: past white space,
// commas and colons.
func (l *gridLayout) next(off int64) int {
	i := int(off)
	for i < len(l.data) && strings.IndexByte(" \t\r\n,:", l.data[i]) >= 0 {
		i++
	}
	return i
}

// pos is "line L, column C" of the byte at off (columns count runes from 1).
func (l *gridLayout) pos(off int) string {
	off = min(max(off, 0), len(l.data))
	before := l.data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

// entryAt is the index of the settings entry that holds off, -1 for none.
func (l *gridLayout) entryAt(off int) int {
	for i := len(l.entries) - 1; i >= 0; i-- {
		e := l.entries[i]
		if e.start <= off && (e.end < 0 || off < e.end) {
			return i
		}
	}
	return -1
}

// setting names entry i as the other grid errors do, "setting 2", with
// its name when it has one: `setting 2 ("b")`.
func (l *gridLayout) setting(i int) string {
	s := fmt.Sprintf("setting %d", i+1)
	if i < len(l.entries) && l.entries[i].name != "" {
		s += " (" + clipQuote(l.entries[i].name) + ")"
	}
	return s
}

// at is where off is: "setting 2 ("b"), line 3, column 38", or the line and
// column alone outside the settings.
func (l *gridLayout) at(off int) string {
	if i := l.entryAt(off); i >= 0 {
		return l.setting(i) + ", " + l.pos(off)
	}
	return l.pos(off)
}

// entryLine is `setting 2 ("b", line 3)`: an entry and the line it starts on.
func (l *gridLayout) entryLine(i int) string {
	if i >= len(l.entries) {
		return fmt.Sprintf("setting %d", i+1)
	}
	e := l.entries[i]
	line, _, _ := strings.Cut(l.pos(e.start), ",")
	if e.name != "" {
		return fmt.Sprintf("setting %d (%s, %s)", i+1, clipQuote(e.name), line)
	}
	return fmt.Sprintf("setting %d (%s)", i+1, line)
}

// decodeError explains an error of decoding the grid (a *json.Decoder over
// all of data, unknown fields disallowed) with its position, the setting,
// and no Go type: a syntax error, a value of the wrong JSON type, an
// unknown key with the nearest known ones, or a top level that is not an
// object.
func (l *gridLayout) decodeError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off := int(se.Offset) - 1
		msg := strings.TrimPrefix(se.Error(), "json: ")
		if prev := bytes.TrimRight(l.data[:max(off, 0)], " \t\r\n"); len(prev) > 0 && prev[len(prev)-1] == ',' &&
			off < len(l.data) && (l.data[off] == ']' || l.data[off] == '}') {
			msg += " (a comma before it: JSON allows no trailing comma)"
		}
		return fmt.Errorf("grid: %s: %s", l.at(off), msg)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("grid: the top level is %s, not an object; a grid is {\"name\": ..., \"settings\": [{...}, ...]} (schema in the README)",
			jsonKind(te.Value))
	case errors.As(err, &te):
		key := te.Field[strings.LastIndexByte(te.Field, '.')+1:]
		off := int(te.Offset) - 1
		if i := l.entryAt(off); i >= 0 {
			if k, ok := l.entries[i].keys[key]; ok {
				off = k
			}
		} else if k, ok := l.topKeys[key]; ok {
			off = k
		}
		return fmt.Errorf("grid: %s: %q is %s, want %s", l.at(off), key, jsonKind(te.Value), jsonKindOf(te.Type))
	}
	if key, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		key, _ = strconv.Unquote(key)
		return l.unknownKey(key)
	}
	return fmt.Errorf("grid: %w", err)
}

// unknownKey locates an unknown key (the first entry that has it, else the
// top level) and suggests the known keys nearest to it.
func (l *gridLayout) unknownKey(key string) error {
	where, known := "", jsonKeys(reflect.TypeFor[Grid]())
	if off, ok := l.topKeys[key]; ok {
		where = l.pos(off)
	} else {
		known = jsonKeys(reflect.TypeFor[GridSetting]())
		for i, e := range l.entries {
			if off, ok := e.keys[key]; ok {
				where = l.setting(i) + ", " + l.pos(off)
				break
			}
		}
	}
	msg := "unknown key " + clipQuote(key)
	if near := nearestKeys(key, known); len(near) > 0 {
		msg += " (did you mean " + strings.Join(near, " or ") + "?)"
	}
	if where == "" {
		return fmt.Errorf("grid: %s", msg)
	}
	return fmt.Errorf("grid: %s: %s", where, msg)
}

// nearestKeys are the known keys nearest to key within an edit distance
// of 2 (case and '-' for '_' ignored), at most two, quoted.
func nearestKeys(key string, known map[string]bool) []string {
	norm := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	type cand struct {
		key  string
		dist int
	}
	var cs []cand
	for k := range known {
		if d := report.EditDistance(norm, k); d <= 2 {
			cs = append(cs, cand{k, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		return cs[i].dist < cs[j].dist || cs[i].dist == cs[j].dist && cs[i].key < cs[j].key
	})
	var out []string
	for i := 0; i < len(cs) && i < 2 && cs[i].dist == cs[0].dist; i++ {
		out = append(out, strconv.Quote(cs[i].key))
	}
	return out
}

// jsonKind names a JSON value kind as encoding/json reports it ("string",
// "number", "array", "object", "bool") in words.
func jsonKind(v string) string {
	switch {
	case v == "array" || v == "object":
		return "an " + v
	case v == "bool" || v == "true" || v == "false":
		return "true or false"
	case v == "null":
		return "null"
	case strings.HasPrefix(v, "number"):
		return "a number"
	}
	return "a " + v
}

// jsonKindOf names the JSON kind a Go type is read from.
func jsonKindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another JSON value"
}

// skipJSON consumes one JSON value, reporting a syntax error.
func skipJSON(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	return skipRest(dec, tok)
}
