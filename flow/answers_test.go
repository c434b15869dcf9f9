package flow

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/keywords"
)

func TestParseAnswer(t *testing.T) {
	colours := []string{"Red", "Green", "Crème brûlée"}
	for _, tc := range []struct {
		answer string
		in     string
		want   string
		ok     bool
	}{
		{AnswerText, "  hello  ", "hello", true},
		{AnswerText, "   ", "", false},
		{AnswerText, strings.Repeat("é", 2000), strings.Repeat("é", 2000), true},
		{AnswerText, strings.Repeat("é", 2001), "", false},
		{AnswerEmail, " ada@example.com ", "ada@example.com", true},
		{AnswerEmail, "ada.lovelace+x@mail.example.co.uk", "ada.lovelace+x@mail.example.co.uk", true},
		{AnswerEmail, "ada@example", "", false},
		{AnswerEmail, "ada@@example.com", "", false},
		{AnswerEmail, "a@b@example.com", "", false},
		{AnswerEmail, "ada lovelace@example.com", "", false},
		{AnswerEmail, "@example.com", "", false},
		{AnswerEmail, "ada@.com", "", false},
		{AnswerEmail, "ada@example.", "", false},
		{AnswerEmail, "ada@example..com", "", false},
		{AnswerEmail, strings.Repeat("a", 250) + "@b.co", "", false},
		{AnswerPhone, "+33 6 12-34-56-78", "+33 6 12-34-56-78", true},
		{AnswerPhone, "(555) 123-4567", "(555) 123-4567", true},
		{AnswerPhone, "12345", "", false},
		{AnswerPhone, "1234567890123456", "", false},
		{AnswerPhone, "555-CALL-NOW", "", false},
		{AnswerPhone, "55+5123456", "", false},
		{AnswerNumber, "42", "42", true},
		{AnswerNumber, " -3,5 ", "-3.5", true},
		{AnswerNumber, "+7.25", "7.25", true},
		{AnswerNumber, "1,000.5", "", false},
		{AnswerNumber, "12abc", "", false},
		{AnswerNumber, "1e5", "", false},
		{AnswerNumber, ".5", "", false},
		{AnswerDate, "2024-02-29", "2024-02-29", true},
		{AnswerDate, "2023-02-29", "", false},
		{AnswerDate, "1900-02-29", "", false},
		{AnswerDate, "2000-02-29", "2000-02-29", true},
		{AnswerDate, "31/12/2024", "2024-12-31", true},
		{AnswerDate, "5.3.2024", "2024-03-05", true},
		{AnswerDate, "31/04/2024", "", false},
		{AnswerDate, "12/31/2024", "", false},
		{AnswerDate, "01/02.2024", "", false},
		{AnswerDate, "0000-01-01", "", false},
		{AnswerDate, "today", "", false},
		{AnswerChoice, "green", "Green", true},
		{AnswerChoice, " RED ", "Red", true},
		{AnswerChoice, "creme brulee", "Crème brûlée", true},
		{AnswerChoice, "3", "Crème brûlée", true},
		{AnswerChoice, "4", "", false},
		{AnswerChoice, "0", "", false},
		{AnswerChoice, "blue", "", false},
		{AnswerChoice, "!!!", "", false},
	} {
		t.Run(fmt.Sprintf("%s/%.20s", tc.answer, tc.in), func(t *testing.T) {
			got, ok := parseAnswer(&Node{Answer: tc.answer, Choices: colours}, tc.in)
			require.Equal(t, tc.ok, ok)
			if ok {
				require.Equal(t, tc.want, got)
			}
		})
	}
}

func TestEvalCondition(t *testing.T) {
	for _, tc := range []struct {
		op, variable, value string
		want                bool
	}{
		{OpEquals, " Yes ", "yes", true},
		{OpEquals, "yes", "no", false},
		{OpNotEquals, "YES", "yes", false},
		{OpNotEquals, "yes", "no", true},
		{OpContains, "I want a Refund now", "refund", true},
		{OpContains, "billing", "refund", false},
		{OpMatches, "order-1234", `^order-\d+$`, true},
		{OpMatches, "ORDER-1234", `^order-\d+$`, false},
		{OpMatches, "ORDER-1234", `(?i)^order-\d+$`, true},
		{OpMatches, "x", `(`, false},
		{OpGreater, "10", "9,5", true},
		{OpGreater, "9", "10", false},
		{OpGreater, "abc", "1", false},
		{OpLess, "-1", "0", true},
		{OpLess, "1", "abc", false},
		{OpIsSet, "x", "", true},
		{OpIsSet, "  ", "", false},
		{OpNotSet, "", "", true},
		{OpNotSet, "x", "", false},
		{"bogus", "x", "x", false},
	} {
		t.Run(tc.op+"/"+tc.variable+"/"+tc.value, func(t *testing.T) {
			require.Equal(t, tc.want, evalCondition(tc.op, tc.variable, tc.value))
		})
	}
}

func TestRender(t *testing.T) {
	vars := map[string]string{"name": "Ada", "order.id": "a/b&c d", "q": `say "hi"` + "\n"}
	for _, tc := range []struct {
		tpl  string
		esc  func(string) string
		want string
	}{
		{"Hi {{name}}!", nil, "Hi Ada!"},
		{"Hi {{ name }}!", nil, "Hi Ada!"},
		{"Hi {{missing}}!", nil, "Hi !"},
		{"{{Name}} {{ }} {{name", nil, "{{Name}} {{ }} {{name"},
		{"{{{name}}}", nil, "{Ada}"},
		{"no placeholders", nil, "no placeholders"},
		{"https://x.test/orders/{{order.id}}?n={{name}}", escapeURL, "https://x.test/orders/a%2Fb%26c%20d?n=Ada"},
		{`{"q": "{{q}}"}`, escapeJSON, `{"q": "say \"hi\"\n"}`},
		{"Bearer {{q}}", escapeHeader, `Bearer say "hi"`},
	} {
		require.Equal(t, tc.want, render(tc.tpl, vars, tc.esc), tc.tpl)
	}
	names, bad := templateVars("{{a}} {{ b.c }} {{Bad}} {{a}}")
	require.Equal(t, []string{"a", "b.c", "a"}, names)
	require.Equal(t, []string{"{{Bad}}"}, bad)
}

func TestEscapeJSONControlCharacters(t *testing.T) {
	require.Equal(t, `a\u0001b\u2028`, escapeJSON("a\x01b\u2028"))
}

func TestKeywordMatching(t *testing.T) {
	for _, tc := range []struct {
		input, phrase string
		want          bool
	}{
		{"I need a REFUND please", "refund", true},
		{"refunds?", "refund", false}, // whole words only
		{"Où est mon remboursement ?", "ou est", true},
		{"RÉSUMÉ", "resume", true},
		{"resume", "résumé", true},
		{"Re\u0301sume\u0301", "resume", true}, // decomposed accents
		{"Straße", "strasse", true},
		{"can I get my money back?", "money back", true},
		{"money, back", "money back", true},
		{"back money", "money back", false},
		{"talk to a human", "human", true},
		{"", "human", false},
		{"anything", "  ", false},
	} {
		require.Equal(t, tc.want, matchesAny(keywords.NewText(tc.input), []string{tc.phrase}), "%q in %q", tc.phrase, tc.input)
	}
	require.True(t, matchesAny(keywords.NewText("call an agent"), []string{"human", "agent"}))
	require.False(t, matchesAny(keywords.NewText("call an agent"), nil))
}

func TestJSONPath(t *testing.T) {
	doc := `{"order": {"id": 12, "total": 9.90, "paid": true, "note": null, "items": [{"name": "Tea"}], "tags": ["a", "b"]}, "a.b": 1}`
	var in Input
	in.Body = []byte(doc)
	for _, tc := range []struct {
		path, want string
		ok         bool
	}{
		{"order.id", "12", true},
		{"order.total", "9.90", true},
		{"order.paid", "true", true},
		{"order.note", "", true},
		{"order.items.0.name", "Tea", true},
		{"order.items.0", `{"name":"Tea"}`, true},
		{"order.tags", `["a","b"]`, true},
		{"order.items.1.name", "", false},
		{"order.items.-1", "", false},
		{"order.items.+0", "", false},
		{"order.items.x", "", false},
		{"order.id.x", "", false},
		{"order.missing", "", false},
		{"a.b", "", false},
		{"", "", false},
	} {
		var doc any
		require.NoError(t, decodeNumbers(in.Body, &doc))
		got, ok := jsonPath(doc, tc.path)
		require.Equal(t, tc.ok, ok, tc.path)
		require.Equal(t, tc.want, got, tc.path)
	}
}
