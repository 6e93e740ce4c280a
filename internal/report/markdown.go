package report

import "strings"

// MarkdownEscape escapes s for Markdown text (CommonMark with GitHub's
// tables): a backslash before every character that could start markup or
// split a table cell (| * ` ~ < & \), and before an underscore that is not
// inside a word (an underscore between two letters or digits, as in n_k,
// cannot open or close emphasis and is kept as it is).
func MarkdownEscape(s string) string {
	if !strings.ContainsAny(s, "|*`~<&\\_") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '|', '*', '`', '~', '<', '&', '\\':
			b.WriteByte('\\')
		case '_':
			if !(i > 0 && isAlnum(s[i-1]) && i+1 < len(s) && isAlnum(s[i+1])) {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
