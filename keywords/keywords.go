// Package keywords matches what customers write against phrases people
// configured: a workspace's keyword rules on the hot path ("refund",
// "cancel my subscription" → urgent), and a bot flow's phrase lists.
//
// A phrase matches when its words occur in the text, in order and
// adjacent, as whole words, ignoring case, accents and punctuation:
// "Cancel my subscription!" matches "cancel my subscription", "Rembourser"
// matches "rembourser" and "rémbourser", "refunded" does not match
// "refund". Matching is pure and deterministic.
package keywords

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// folds are letters that do not decompose into a base letter and a mark.
var folds = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i",
}

// Normalize returns text as phrases are compared: lowercase, accents and
// punctuation gone, words separated by single spaces.
func Normalize(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	space := true // no leading space
	for _, r := range norm.NFD.String(text) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f, ok := folds[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// Text is a text normalized once for matching many phrases.
type Text string

// NewText normalizes text for Contains.
func NewText(text string) Text { return Text(" " + Normalize(text) + " ") }

// Contains reports whether the normalized phrase occurs in t as whole words.
// An empty phrase matches nothing.
func (t Text) Contains(phrase string) bool {
	if phrase == "" {
		return false
	}
	return strings.Contains(string(t), " "+phrase+" ")
}

// ContainsAny reports whether any of the normalized phrases occurs in t.
func (t Text) ContainsAny(phrases []string) bool {
	for _, p := range phrases {
		if t.Contains(p) {
			return true
		}
	}
	return false
}
