package flow

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/keywords"
)

// validName reports whether s is a variable name: [a-z][a-z0-9_.]{0,63}.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// placeholder finds the next {{...}} in s at or after from. It returns the
// start and end (exclusive) of the braces and the trimmed inside; ok is
// false when there is none.
func placeholder(s string, from int) (start, end int, inner string, ok bool) {
	for {
		i := strings.Index(s[from:], "{{")
		if i < 0 {
			return 0, 0, "", false
		}
		start = from + i
		j := strings.Index(s[start+2:], "}}")
		if j < 0 {
			return 0, 0, "", false
		}
		inner = s[start+2 : start+2+j]
		// "{{{x}}}" holds the placeholder {{x}} one brace further on.
		if strings.Contains(inner, "{") {
			from = start + 1
			continue
		}
		return start, start + 2 + j + 2, strings.Trim(inner, " "), true
	}
}

// templateVars lists the variables a template reads (in order, with
// repeats) and the placeholders that are not variable names.
func templateVars(tpl string) (names, bad []string) {
	for from := 0; ; {
		start, end, inner, ok := placeholder(tpl, from)
		if !ok {
			return names, bad
		}
		if validName(inner) {
			names = append(names, inner)
		} else {
			bad = append(bad, tpl[start:end])
		}
		from = end
	}
}

// render fills a template's placeholders from vars, passing each value
// through esc when it is not nil; unset variables render empty and
// placeholders that are not variable names stay as they are.
func render(tpl string, vars map[string]string, esc func(string) string) string {
	if !strings.Contains(tpl, "{{") {
		return tpl
	}
	var b strings.Builder
	from := 0
	for {
		start, end, inner, ok := placeholder(tpl, from)
		if !ok {
			break
		}
		b.WriteString(tpl[from:start])
		if validName(inner) {
			v := vars[inner]
			if esc != nil {
				v = esc(v)
			}
			b.WriteString(v)
		} else {
			b.WriteString(tpl[start:end])
		}
		from = end
	}
	b.WriteString(tpl[from:])
	return b.String()
}

// escapeURL percent-encodes a value so that it stays one path segment or
// one query value wherever it is placed in a URL.
func escapeURL(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// escapeJSON escapes a value for use inside a JSON string literal.
func escapeJSON(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", 4-len(h)) + h)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeHeader keeps a value on one header line.
func escapeHeader(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// validHTTPURL reports whether s is an absolute http or https URL.
func validHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// parseAnswer checks a visitor's answer to a question and returns the value
// to store.
func parseAnswer(n *Node, text string) (string, bool) {
	t := strings.TrimSpace(text)
	switch n.Answer {
	case AnswerEmail:
		return t, validEmail(t)
	case AnswerPhone:
		return t, validPhone(t)
	case AnswerNumber:
		return parseNumber(t)
	case AnswerDate:
		return parseDate(t)
	case AnswerChoice:
		return parseChoice(n.Choices, t)
	default:
		// Text, and answer types an unvalidated flow may carry.
		return t, t != "" && utf8.RuneCountInString(t) <= 2000
	}
}

func validEmail(s string) bool {
	if len(s) > 254 || strings.Count(s, "@") != 1 {
		return false
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	dot := strings.Index(domain, ".")
	return local != "" && dot > 0 && !strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

func validPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 15
}

var numberRE = regexp.MustCompile(`^[+-]?[0-9]+(?:[.,][0-9]+)?$`)

// parseNumber accepts a decimal with either separator and returns it with
// a dot, so that later comparisons and integrations see one format.
func parseNumber(s string) (string, bool) {
	if len(s) > 100 || !numberRE.MatchString(s) {
		return "", false
	}
	return strings.Replace(strings.TrimPrefix(s, "+"), ",", ".", 1), true
}

// number parses a value for greater and less.
func number(s string) (float64, bool) {
	n, ok := parseNumber(strings.TrimSpace(s))
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(n, 64)
	return f, err == nil
}

var (
	isoDateRE = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$`)
	dmyDateRE = regexp.MustCompile(`^([0-9]{1,2})([/.])([0-9]{1,2})([/.])([0-9]{4})$`)
)

// parseDate accepts YYYY-MM-DD, DD/MM/YYYY and DD.MM.YYYY and stores
// YYYY-MM-DD; relative dates would need a clock.
func parseDate(s string) (string, bool) {
	var y, m, d string
	if g := isoDateRE.FindStringSubmatch(s); g != nil {
		y, m, d = g[1], g[2], g[3]
	} else if g := dmyDateRE.FindStringSubmatch(s); g != nil && g[2] == g[4] {
		d, m, y = g[1], g[3], g[5]
	} else {
		return "", false
	}
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	if yi < 1 || mi < 1 || mi > 12 || di < 1 || di > daysIn(yi, mi) {
		return "", false
	}
	return y + "-" + pad2(mi) + "-" + pad2(di), true
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseChoice accepts a choice's text (ignoring case, accents and
// punctuation) or its 1-based number, and returns the choice as written.
func parseChoice(choices []string, s string) (string, bool) {
	if i, err := strconv.Atoi(s); err == nil && i >= 1 && i <= len(choices) {
		return choices[i-1], true
	}
	want := strings.Join(words(s), " ")
	if want == "" {
		return "", false
	}
	for _, c := range choices {
		if strings.Join(words(c), " ") == want {
			return c, true
		}
	}
	return "", false
}

// evalCondition tests one branch condition; value is already rendered.
func evalCondition(op, variable, value string) bool {
	switch op {
	case OpEquals:
		return strings.EqualFold(strings.TrimSpace(variable), strings.TrimSpace(value))
	case OpNotEquals:
		return !strings.EqualFold(strings.TrimSpace(variable), strings.TrimSpace(value))
	case OpContains:
		return strings.Contains(strings.ToLower(variable), strings.ToLower(value))
	case OpMatches:
		re, err := regexp.Compile(value)
		return err == nil && re.MatchString(variable)
	case OpGreater, OpLess:
		a, ok1 := number(variable)
		b, ok2 := number(value)
		if !ok1 || !ok2 {
			return false
		}
		if op == OpGreater {
			return a > b
		}
		return a < b
	case OpIsSet:
		return strings.TrimSpace(variable) != ""
	case OpNotSet:
		return strings.TrimSpace(variable) == ""
	}
	return false
}

// words splits text into lowercase, accent-folded words: runs of letters
// and digits, as keywords.Normalize has them. Keyword phrases, human
// phrases and choices all compare this way, as a workspace's keyword rules
// do.
func words(s string) []string { return strings.Fields(keywords.Normalize(s)) }

// AsksForHuman reports whether text holds one of the workspace's "talk to
// a person" phrases, as every visitor message the flow gets is checked.
func AsksForHuman(text string, opt Options) bool {
	return matchesAny(keywords.NewText(text), opt.HumanPhrases)
}

// matchesAny reports whether one of phrases occurs in input as whole words.
func matchesAny(input keywords.Text, phrases []string) bool {
	for _, p := range phrases {
		if input.Contains(keywords.Normalize(p)) {
			return true
		}
	}
	return false
}
